"""Run `baleen serve` on a model and ask it chat questions over the OpenAI API (Python standard library only).
Shared by evaluate.py and check_answers.py."""
import collections
import json
import re
import subprocess
import threading
import urllib.request


class BaleenServer:
    """`baleen serve MODEL --port 0`; the address is read from its 'serving … at http://HOST:PORT/' line."""

    def __init__(self, baleen, model, parallel=4, threads=2, timeout_s=60):
        self.proc = subprocess.Popen([str(baleen), "serve", str(model), "--port", "0", "--parallel", str(parallel),
                                      "-t", str(threads)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = collections.deque(maxlen=50)
        self.url = None
        found = threading.Event()

        def drain():  # keep reading so the server never blocks on a full pipe
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"serving .* at (http://[^/\s]+/)", line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(timeout_s) or self.url is None:
            self.close()
            raise RuntimeError("baleen serve did not start:\n" + "\n".join(self.lines))

    def chat(self, prompt, max_tokens=512, timeout_s=120, temperature=0.0, seed=None):
        """One-turn chat, greedy unless a temperature is given; returns the parsed `choices[0]` object."""
        request = {"messages": [{"role": "user", "content": prompt}], "temperature": temperature,
                   "max_tokens": max_tokens}
        if seed is not None:
            request["seed"] = seed
        body = json.dumps(request).encode()
        req = urllib.request.Request(self.url + "v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return json.loads(resp.read())["choices"][0]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: graceful shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def grade(problem, choice):
    """(answer correct, reasoning equal to the worked reasoning, well formed): the answer must be the content
    exactly (surrounding whitespace ignored) and the reasoning must come back in reasoning_content."""
    message = choice["message"]
    content = (message.get("content") or "").strip()
    reasoning = (message.get("reasoning_content") or "").strip()
    well_formed = bool(reasoning) and "</think>" not in content and choice.get("finish_reason") == "stop"
    return content == problem["answer"] and well_formed, reasoning == problem["reasoning"], well_formed

