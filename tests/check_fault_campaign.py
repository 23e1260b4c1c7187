#!/usr/bin/env python3
"""Fault campaign against real `baleen serve` processes on the bundled tiny model (issue 18; CTest:
server_fault_campaign). Python 3 standard library only; loopback only; every loop is bounded in count and time.

usage: check_fault_campaign.py BALEEN SOURCE_DIR [--seconds N] [--seed S] [--phases 1,2,3,4]

Phases (each on its own server: --port 0, -t 2, an --api-key, --cache-dir in a private temp dir):
  1 clients  concurrent raw-socket clients doing random things: whole requests (chat and completions, stream or
             not, n and several prompts), keep-alive, pipelining, half-close, slow readers, HTTP/1.0 (a stream must
             not be chunked), oversize bodies (413), malformed JSON (400), bad key (401), and disconnects mid-headers,
             mid-body, before the response and mid-stream (FIN or reset).
  2 flood    300 idle and half-header connections (from 127.0.0.2-31) while an authenticated client (127.0.0.1)
             must get 200s and /health answers within 5 s; then a server started under a 128-fd limit is flooded
             past it, and again with its soft limit lowered while it runs (accept fails with EMFILE): it must not
             spin (< 30% of a core), and must serve once the flood ends.
  3 queue    small --parallel/--queue/--kv-size, bursts of long prompts: 200 or 429 with Retry-After only while
             the queue is full, 400 (naming n or prompt) for requests that can never fit, queued clients that
             disconnect free their place at once.
  4 signals  SIGTERM, SIGTERM+SIGKILL and SIGKILL at random points under load on one --cache-dir: exit 0 within
             15 s after SIGTERM, every request fully sent before it (on a connection the server had accepted)
             answered once (200, or 503 with Retry-After), the cache file absent, the old or a new complete file
             (never partial), a restart restores it without a warning and leaves no temp files.
After each server: no crash, no leaked slot/KV block/fd (GET /metrics, /proc/PID/fd), RSS bounded. Every response
is checked: one complete response, valid OpenAI JSON or SSE ending in [DONE] or an error event, OpenAI's
finish_reason values only, Retry-After on 429 and 503, no interim 1xx to an HTTP/1.0 client.

The default run takes about 2.5 minutes on 2 cores (--seconds, or env BALEEN_FAULT_SECONDS, sets the total; CTest's
TIMEOUT is 400 s). The seed is printed; --seed replays the same choices (thread timing still varies). Server logs are
kept on failure when BALEEN_FAULT_KEEP is set. Ends with "N passed, M failed"; exit 1 if any check failed.
"""
import argparse
import collections
import ctypes
import errno
import hashlib
import json
import mmap
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
FINISH_REASONS = {"stop", "length", "tool_calls", "content_filter", "function_call"}
CRASH_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "terminate called", "Assertion",
                 "Segmentation fault", "CHECK failed")


class Checks:
    """Named pass/fail counts per phase, the first examples of each failure, and outcome counts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.passed = 0
        self.failed = collections.Counter()
        self.examples = collections.defaultdict(list)
        self.outcomes = collections.defaultdict(collections.Counter)
        self.notes = []

    def check(self, phase, name, ok, detail=""):
        with self.lock:
            if ok:
                self.passed += 1
                return True
            key = (phase, name)
            self.failed[key] += 1
            if len(self.examples[key]) < 3:
                self.examples[key].append(str(detail)[:600])
                print(f"FAIL [{phase}] {name}: {str(detail)[:600]}", flush=True)
            return False

    def outcome(self, phase, label):
        with self.lock:
            self.outcomes[phase][label] += 1

    def note(self, text):
        print("note:", text, flush=True)
        with self.lock:
            self.notes.append(text)


CHECKS = Checks()


# ------------------------------------------------------------------------------------------------ raw HTTP client

class Reply:
    def __init__(self):
        self.status, self.version, self.headers, self.body = None, None, {}, b""
        self.chunked, self.complete, self.error, self.interim = False, False, None, 0

    def header(self, name):
        return self.headers.get(name.lower())

    def label(self):
        interim = f" after {self.interim} interim 1xx" if self.interim else ""
        return f"{self.status}{interim}" if self.complete else f"{self.status or 'no status'} {self.error}"


class Conn:
    """One TCP connection to the server; every read is under a deadline."""

    def __init__(self, port, timeout=30.0, rcvbuf=None, source=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if source:
                self.sock.bind((source, 0))
            self.sock.settimeout(timeout)
            self.sock.connect((HOST, port))
        except OSError:
            self.sock.close()
            raise
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline, size=65536, pause=0.0):
        """Reads more into buf; False at EOF. Raises TimeoutError past the deadline, OSError on a reset."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        if pause:
            time.sleep(pause)
        self.sock.settimeout(max(0.05, min(left, 5.0)))
        try:
            data = self.sock.recv(size)
        except socket.timeout:
            return True  # nothing yet: the caller loops until the deadline
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _take_line(self, deadline, **kw):
        while b"\r\n" not in self.buf:
            if not self._fill(deadline, **kw):
                raise EOFError("connection closed mid-line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n, deadline, **kw):
        while len(self.buf) < n:
            if not self._fill(deadline, **kw):
                raise EOFError(f"connection closed with {n - len(self.buf)} body bytes missing")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_reply(self, timeout=60.0, size=65536, pause=0.0, abort_after_body=None):
        """One response. abort_after_body: stop (incomplete) once that many body bytes arrived."""
        reply, deadline, kw = Reply(), time.monotonic() + timeout, {"size": size, "pause": pause}
        body = []
        try:
            for _ in range(10):  # interim 1xx responses (which a client must accept unasked) come first
                while b"\r\n\r\n" not in self.buf:
                    if len(self.buf) > 65536:
                        raise ValueError("response headers over 64 KiB")
                    if not self._fill(deadline, **kw):
                        raise EOFError("closed before a status line" if not self.buf else "closed mid-headers")
                head, self.buf = self.buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                m = re.match(r"HTTP/(1\.[01]) (\d{3})", lines[0])
                if not m:
                    raise ValueError(f"bad status line {lines[0][:80]!r}")
                reply.version, reply.status = m.group(1), int(m.group(2))
                if not 100 <= reply.status < 200:
                    break
                reply.interim += 1
            for line in lines[1:]:
                name, _, value = line.partition(":")
                reply.headers[name.strip().lower()] = value.strip()
            reply.chunked = "chunked" in (reply.header("transfer-encoding") or "").lower()
            if reply.chunked:
                while True:
                    size_line = self._take_line(deadline, **kw)
                    n = int(size_line.split(b";")[0].strip() or b"x", 16)
                    if n == 0:
                        while self._take_line(deadline, **kw):
                            pass  # trailers
                        break
                    body.append(self._take(n, deadline, **kw))
                    if self._take(2, deadline, **kw) != b"\r\n":
                        raise ValueError("chunk not followed by CRLF")
                    if abort_after_body and sum(map(len, body)) >= abort_after_body:
                        raise InterruptedError("aborted by the client")
            elif reply.header("content-length") is not None:
                body.append(self._take(int(reply.header("content-length")), deadline, **kw))
            else:  # delimited by the end of the connection
                while True:
                    if abort_after_body and len(self.buf) >= abort_after_body:
                        raise InterruptedError("aborted by the client")
                    if not self._fill(deadline, **kw):
                        break
                body.append(self.buf)
                self.buf = b""
            reply.complete = True
        except InterruptedError as e:
            reply.error = str(e)
        except (EOFError, ValueError, TimeoutError) as e:
            reply.error = f"{type(e).__name__}: {e}"
        except OSError as e:
            reply.error = f"{type(e).__name__}: {e}"
        reply.body = b"".join(body)
        return reply

    def closed_after(self, timeout=15.0):
        """None when the server closed the connection with nothing more to read, else what happened."""
        deadline = time.monotonic() + timeout
        try:
            while not self.buf and self._fill(deadline):
                pass
        except TimeoutError:
            return f"still open {timeout:.0f} s after the response"
        except OSError as e:
            return None if isinstance(e, ConnectionResetError) else f"{type(e).__name__}: {e}"
        return f"{len(self.buf)} bytes after the response: {self.buf[:80]!r}" if self.buf else None

    def close(self, reset=False):
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.sock.close()
        except OSError:
            pass


def request_bytes(method, path, body=None, key="", version="1.1", close=True, raw_body=None, headers=()):
    data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
    lines = [f"{method} {path} HTTP/{version}", f"Host: {HOST}"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    if method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    if version == "1.1" and close:
        lines.append("Connection: close")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def one_request(port, data, timeout=60.0, **kw):
    """Sends data on a fresh connection and reads one response (the connection is closed after)."""
    try:
        conn = Conn(port, timeout=min(timeout, 10.0))
    except OSError as e:
        r = Reply()
        r.error = f"connect: {e}"
        return r
    try:
        conn.send(data)
        return conn.read_reply(timeout=timeout, **kw)
    except OSError as e:
        r = Reply()
        r.error = f"send: {e}"
        return r
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------- response checks

def error_shape(obj):
    err = obj.get("error") if isinstance(obj, dict) else None
    if not isinstance(err, dict) or not {"message", "type", "param", "code"} <= set(err):
        return f"not {{'error': {{message, type, param, code}}}}: {json.dumps(obj)[:200]}"
    if not isinstance(err["message"], str) or not err["message"] or not isinstance(err["type"], str):
        return f"error message/type not strings: {err}"
    return None


def check_sse(text, endpoint, n_choices):
    """(problems, finish_reasons) of an event stream."""
    problems, finishes, seen, done = [], {}, set(), False
    kind = "chat.completion.chunk" if endpoint == "chat" else "text_completion"
    for event in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in event.split("\n") if line.startswith("data:")]
        if not data:
            continue
        if done:
            problems.append("data after [DONE]")
            break
        payload = "\n".join(data)
        if payload == "[DONE]":
            done = True
            continue
        try:
            obj = json.loads(payload)
        except ValueError:
            problems.append(f"event is not JSON: {payload[:120]!r}")
            continue
        if isinstance(obj, dict) and "error" in obj:
            problem = error_shape(obj)
            if problem:
                problems.append("error event " + problem)
            return problems, finishes, True
        if not isinstance(obj, dict) or obj.get("object") != kind or not isinstance(obj.get("choices"), list):
            problems.append(f"chunk not a {kind}: {payload[:160]}")
            continue
        for choice in obj["choices"]:
            index = choice.get("index")
            if not isinstance(index, int) or not 0 <= index < n_choices:
                problems.append(f"choice index {index} of {n_choices}")
            seen.add(index)
            if choice.get("finish_reason") is not None:
                finishes[index] = choice["finish_reason"]
    if not done:
        problems.append(f"stream does not end with data: [DONE] (ends {text[-120:]!r})")
    elif set(finishes) != set(range(n_choices)):
        problems.append(f"finish_reason for choices {sorted(finishes)} of {n_choices}")
    return problems, finishes, False


def validate(reply, endpoint, stream=False, n_choices=1, allowed=(200,)):
    """{'response': problem or None, 'finish_reason': ...}: one complete, well-formed answer."""
    out = {"response": None}
    if not reply.complete:
        out["response"] = f"incomplete: {reply.error} (status {reply.status}, {len(reply.body)} body bytes)"
        return out
    problems = []
    if reply.status not in allowed:
        problems.append(f"status {reply.status} not in {sorted(allowed)}: {reply.body[:300]!r}")
    text = reply.body.decode("utf-8", "replace")
    is_stream = reply.status == 200 and (reply.header("content-type") or "").startswith("text/event-stream")
    finishes = {}
    if reply.status in (429, 503) and not reply.header("retry-after"):
        problems.append(f"{reply.status} without Retry-After")
    if is_stream:
        if endpoint not in ("chat", "completions") or not stream:
            problems.append("an event stream where JSON was expected")
        sse_problems, finishes, _ = check_sse(text, endpoint, n_choices)
        problems += sse_problems
    elif reply.status in (429, 503) and "json" not in (reply.header("content-type") or ""):
        problems.append(f"{reply.status} body is not JSON")
    else:
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
            problems.append(f"body is not JSON: {text[:200]!r}")
        if obj is not None and not isinstance(obj, dict):
            problems.append(f"body is not a JSON object: {text[:200]!r}")
        elif obj is not None and reply.status != 200:
            problem = error_shape(obj)
            if problem:
                problems.append(problem)
        elif obj is not None and endpoint in ("chat", "completions"):
            if stream:
                problems.append("JSON where an event stream was asked for")
            kind = "chat.completion" if endpoint == "chat" else "text_completion"
            choices = obj.get("choices") if isinstance(obj, dict) else None
            if obj.get("object") != kind or not isinstance(choices, list) or not isinstance(obj.get("usage"), dict):
                problems.append(f"not a {kind} with choices and usage: {text[:200]}")
            else:
                if sorted(c.get("index") for c in choices) != list(range(n_choices)):
                    problems.append(f"choice indices {[c.get('index') for c in choices]}, expected {n_choices}")
                for c in choices:
                    finishes[c.get("index")] = c.get("finish_reason")
                    if endpoint == "chat" and (c.get("message") or {}).get("role") != "assistant":
                        problems.append(f"choice without an assistant message: {c}")
                    if endpoint == "completions" and not isinstance(c.get("text"), str):
                        problems.append(f"choice without text: {c}")
        elif obj is not None and endpoint == "models" and obj.get("object") != "list":
            problems.append(f"not a model list: {text[:200]}")
    out["response"] = "; ".join(problems) or None
    if finishes:
        bad = {i: f for i, f in finishes.items() if f not in FINISH_REASONS}
        out["finish_reason"] = f"finish_reason not an OpenAI value: {bad}" if bad else None
    return out


def record(phase, scenario, results):
    for name, problem in results.items():
        CHECKS.check(phase, f"{scenario}: {name}", problem is None, problem)


# ------------------------------------------------------------------------------------------------------ servers

def die_with_parent(nofile):
    def preexec():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    return preexec


class Server:
    URL = re.compile(r"baleen: serving \S+ at http://127\.0\.0\.1:(\d+)/")
    count = 0

    def __init__(self, ctx, phase, args=(), cache_dir=None, nofile=None):
        Server.count += 1
        self.phase, self.name = phase, f"server{Server.count}-{phase}"
        if cache_dir is None:
            cache_dir = os.path.join(ctx.work, self.name + "-cache")
            os.mkdir(cache_dir, 0o700)
        self.cache_dir = cache_dir
        self.argv = [ctx.baleen, "serve", ctx.model, "--port", "0", "-t", "2", "--api-key", ctx.key,
                     "--cache-dir", cache_dir, *map(str, args)]
        self.err_path = os.path.join(ctx.work, self.name + ".stderr")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err,
                                     start_new_session=True, preexec_fn=die_with_parent(nofile))
        self.pid, self.port, self.stdout = self.proc.pid, None, []
        self.port_seen = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        self.key = ctx.key
        self.expected_signal = None

    def _drain(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            self.stdout.append(line)
            m = self.URL.search(line)
            if m and self.port is None:
                self.port = int(m.group(1))
                self.port_seen.set()
        self.port_seen.set()

    def start(self, timeout=90.0):
        """Waits for the URL line and a 200 from /health; False (and a failed check) when it does not come."""
        self.port_seen.wait(timeout)
        ok = self.port is not None
        deadline = time.monotonic() + 30
        while ok and time.monotonic() < deadline:
            r = one_request(self.port, request_bytes("GET", "/health"), timeout=5)
            if r.status == 200:
                break
            time.sleep(0.2)
        else:
            ok = False
        return CHECKS.check(self.phase, "server starts and answers /health", ok,
                            f"{' '.join(self.argv)}: exit {self.proc.poll()}; {''.join(self.stdout)[-500:]}"
                            f"{self.stderr()[-1500:]}")

    def stderr(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def fds(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return None

    def rss_mib(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            return None

    def cpu_seconds(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def metrics(self):
        r = one_request(self.port, request_bytes("GET", "/metrics", key=self.key), timeout=15)
        if r.status != 200:
            return None
        values = {}
        for line in r.body.decode("utf-8", "replace").splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                try:
                    values[name] = float(value)
                except ValueError:
                    pass
        return values

    def baseline(self):
        """Warms the server up with a few requests, then returns its fd count and RSS."""
        for i in range(3):
            one_request(self.port, request_bytes("POST", "/v1/chat/completions", chat_body(random.Random(i)),
                                                 key=self.key), timeout=60)
        time.sleep(0.3)
        self.base_fds, self.base_rss = self.fds(), self.rss_mib()
        return self

    def signal(self, sig):
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGKILL)
            self.proc.wait(10)
        self.err.close()


def check_idle_invariants(server, phase, fd_margin=8):
    """Once every client is gone: nothing running or waiting, every KV block free or in the prefix cache, fds
    back near the baseline, RSS bounded."""
    deadline, m, fds = time.monotonic() + 30, None, None
    problem = "no /metrics"
    while time.monotonic() < deadline:
        m = server.metrics()
        fds = server.fds()
        if m is not None:
            blocks = (m.get("baleen_kv_blocks"), m.get("baleen_kv_blocks_free"), m.get("baleen_prefix_cache_blocks"))
            problem = None
            if m.get("baleen_requests_running") != 0 or m.get("baleen_requests_waiting") != 0:
                problem = (f"running {m.get('baleen_requests_running')}, waiting {m.get('baleen_requests_waiting')}"
                           " on an idle server")
            elif None in blocks or blocks[1] + blocks[2] != blocks[0]:
                problem = f"KV blocks total/free/prefix {blocks}: some held by nobody"
            elif fds is not None and server.base_fds is not None and fds > server.base_fds + fd_margin:
                problem = f"{fds} open fds, baseline {server.base_fds}"
        if problem is None:
            break
        time.sleep(0.5)
    CHECKS.check(phase, "idle: no leaked slot, KV block or fd", problem is None, problem)
    rss = server.rss_mib()
    CHECKS.check(phase, "RSS bounded", rss is not None and server.base_rss is not None and
                 rss < 2 * server.base_rss + 200 + SANITIZER_RSS_MIB, f"RSS {rss} MiB, baseline {server.base_rss} MiB")
    print(f"  [{phase}] {server.name}: fds {fds} (baseline {server.base_fds}), RSS {rss:.0f} MiB "
          f"(baseline {server.base_rss:.0f})" if rss and server.base_rss else f"  [{phase}] {server.name}: gone")


def sanitizer_rss_mib(binary):
    """AddressSanitizer holds freed memory in its quarantine (256 MiB by default) and keeps shadow memory beside what
    the server uses, so an instrumented binary's RSS grows by that much without any leak; allow for it."""
    try:
        with open(binary, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return 1024 if data.find(b"__asan_init") >= 0 else 0
    except (OSError, ValueError):
        return 0


SANITIZER_RSS_MIB = 0  # set in main() from the binary under test


def stop_and_check(server, phase, sig=signal.SIGTERM, expect_codes=(0,), timeout=15.0):
    """Stops the server (or waits for a signal already sent) and checks exit code and stderr."""
    if sig is not None:
        server.signal(sig)
    code = server.wait(timeout)
    CHECKS.check(phase, f"exits within {timeout:.0f} s of the signal", code is not None,
                 f"{server.name} still running")
    server.kill()
    code = server.proc.returncode if code is None else code
    CHECKS.check(phase, "exit code", code in expect_codes, f"{server.name} exited {code}, expected {expect_codes}")
    err = server.stderr()
    crash = [m for m in CRASH_MARKERS if m in err]
    CHECKS.check(phase, "no crash report on stderr", not crash,
                 f"{server.name}: {crash}: {err[err.find(crash[0]) - 200:][:800] if crash else ''}")
    return code


# ----------------------------------------------------------------------------------------------- request bodies

def chat_body(rng, stream=False, n=1, max_tokens=None, words=0):
    a, b = rng.randint(10, 9999), rng.randint(10, 999)
    content = f"What is {a} + {b}?" + "".join(f" {rng.randint(0, 99999)}" for _ in range(words))
    body = {"messages": [{"role": "user", "content": content}], "max_tokens": max_tokens or rng.randint(4, 16),
            "temperature": 0.7, "seed": rng.randint(0, 1 << 30)}
    if stream:
        body["stream"] = True
    if n > 1:
        body["n"] = n
    return body


def completion_body(rng, stream=False, prompts=1, n=1, max_tokens=None, words=0):
    texts = [f"{rng.randint(10, 9999)} - {rng.randint(10, 999)} =" + "".join(
        f" {rng.randint(0, 99999)}" for _ in range(words)) for _ in range(prompts)]
    body = {"prompt": texts[0] if prompts == 1 and rng.random() < 0.5 else texts,
            "max_tokens": max_tokens or rng.randint(4, 16), "temperature": 0.7}
    if stream:
        body["stream"] = True
    if n > 1:
        body["n"] = n
    return body


def random_generation(rng, key, version="1.1", close=True, stream=None, max_tokens=None, words=0):
    """(bytes, endpoint, stream, n_choices) of a random valid chat or completions request."""
    stream = rng.random() < 0.5 if stream is None else stream
    if rng.random() < 0.5:
        n = rng.choice([1, 1, 2])
        body = chat_body(rng, stream, n, max_tokens, words)
        return request_bytes("POST", "/v1/chat/completions", body, key, version, close), "chat", stream, n
    prompts, n = rng.choice([1, 1, 2, 3]), rng.choice([1, 1, 2])
    body = completion_body(rng, stream, prompts, n, max_tokens, words)
    return request_bytes("POST", "/v1/completions", body, key, version, close), "completions", stream, prompts * n


# -------------------------------------------------------------------------------------- phase 1: random clients

def scenario_whole(port, key, rng, phase):
    """A whole request, sometimes keep-alive with a second one after it; HTTP/1.0 in one of five."""
    version = "1.0" if rng.random() < 0.2 else "1.1"
    keep = version == "1.1" and rng.random() < 0.3
    data, endpoint, stream, n = random_generation(rng, key, version, close=not keep)
    name = f"HTTP/{version} {endpoint} {'stream' if stream else 'json'}"
    conn = Conn(port)
    try:
        conn.send(data)
        reply = conn.read_reply()
        results = validate(reply, endpoint, stream, n, allowed=(200, 429))
        if version == "1.0" and reply.complete:
            results["no 1xx to an HTTP/1.0 client"] = f"{reply.interim} interim 1xx" if reply.interim else None
            if stream:
                results["HTTP/1.0 stream not chunked"] = "sent chunked to an HTTP/1.0 client" if reply.chunked else None
        if keep and reply.complete:
            data, endpoint, stream, n = random_generation(rng, key, close=True)
            conn.send(data)
            reply = conn.read_reply()
            results["keep-alive second request"] = validate(reply, endpoint, stream, n, (200, 429))["response"]
        if reply.complete:
            results["one response, then closed"] = conn.closed_after()
        record(phase, name, results)
        return f"{name} {reply.label()}"
    finally:
        conn.close()


def scenario_pipeline(port, key, rng, phase):
    first, endpoint, stream, n = random_generation(rng, key, close=False)
    second = request_bytes("GET", "/v1/models", key=key, close=True)
    conn = Conn(port)
    try:
        conn.send(first + second)
        r1 = conn.read_reply()
        r2 = conn.read_reply() if r1.complete else Reply()
        results = {"first response": validate(r1, endpoint, stream, n, (200, 429))["response"],
                   "second response (in order)": validate(r2, "models")["response"] if r1.complete else None}
        if r2.complete:
            results["nothing after the second"] = conn.closed_after()
        record(phase, "pipelined pair", results)
        return f"pipelined {r1.label()}+{r2.label()}"
    finally:
        conn.close()


def scenario_half_close(port, key, rng, phase):
    version = "1.0" if rng.random() < 0.25 else "1.1"
    data, endpoint, stream, n = random_generation(rng, key, version)
    conn = Conn(port)
    try:
        conn.send(data)
        conn.sock.shutdown(socket.SHUT_WR)
        reply = conn.read_reply()
        name = f"half-close HTTP/{version} {'stream' if stream else 'json'}"
        results = validate(reply, endpoint, stream, n, (200, 429))
        if version == "1.0" and reply.complete:
            results["no 1xx to an HTTP/1.0 client"] = f"{reply.interim} interim 1xx" if reply.interim else None
        record(phase, name, results)
        return f"{name} {reply.label()}"
    finally:
        conn.close()


def scenario_slow_reader(port, key, rng, phase):
    data, endpoint, stream, n = random_generation(rng, key, stream=rng.random() < 0.8)
    conn = Conn(port, rcvbuf=2048)
    try:
        conn.send(data)
        reply = conn.read_reply(timeout=120, size=rng.choice([64, 256, 1024]), pause=rng.uniform(0.002, 0.02))
        record(phase, "slow reader", validate(reply, endpoint, stream, n, (200, 429)))
        return f"slow reader {reply.label()}"
    finally:
        conn.close()


def scenario_refused(port, key, rng, phase):
    """Requests the server must refuse with an error in OpenAI's shape."""
    kind = rng.choice(["oversize", "malformed", "bad key"])
    if kind == "oversize":
        body = json.dumps({"prompt": "x" * 40000, "max_tokens": 4}).encode()
        data, status = request_bytes("POST", "/v1/completions", key=key, raw_body=body), 413
    elif kind == "malformed":
        body = rng.choice([b'{"messages": [', b"not json", b'{"messages": [{"role": "user", "content": "hi"}],}'])
        data, status = request_bytes("POST", "/v1/chat/completions", key=key, raw_body=body), 400
    else:
        data, status = request_bytes("POST", "/v1/chat/completions", chat_body(rng), key=key + "x"), 401
    reply = one_request(port, data)
    record(phase, kind, validate(reply, "error", allowed=(status,)))
    return f"{kind} {reply.label()}"


def scenario_disconnect(port, key, rng, phase):
    """Leaves at a random point; the server must carry on (checked by the invariants)."""
    data, endpoint, stream, n = random_generation(rng, key, stream=rng.random() < 0.7, max_tokens=rng.randint(16, 64))
    head_end = data.index(b"\r\n\r\n") + 4
    where = rng.choice(["mid-headers", "mid-body", "after the request", "mid-stream"])
    conn = Conn(port)
    try:
        if where == "mid-headers":
            conn.send(data[:rng.randint(1, head_end - 2)])
        elif where == "mid-body":
            conn.send(data[:rng.randint(head_end, len(data) - 1)])
        else:
            conn.send(data)
            if where == "after the request":
                time.sleep(rng.uniform(0, 0.2))
            else:
                conn.read_reply(timeout=60, abort_after_body=rng.randint(1, 400))
    except OSError:
        pass
    finally:
        conn.close(reset=rng.random() < 0.5)
    return f"disconnect {where}"


SCENARIOS = [(scenario_whole, 6), (scenario_pipeline, 2), (scenario_half_close, 2), (scenario_slow_reader, 1),
             (scenario_refused, 2), (scenario_disconnect, 4)]


def phase_clients(ctx, seconds):
    phase = "1 clients"
    server = Server(ctx, phase, ["--parallel", 2, "--queue", 64, "--max-body", 32768])
    if not server.start():
        return server.kill()
    server.baseline()
    deadline = time.monotonic() + seconds

    def worker(index):
        rng = random.Random(f"{ctx.seed}-1-{index}")
        funcs, weights = zip(*SCENARIOS)
        for _ in range(100000):
            if time.monotonic() > deadline:
                break
            func = rng.choices(funcs, weights)[0]
            try:
                label = func(server.port, ctx.key, rng, phase)
            except OSError as e:
                label = f"{func.__name__}: {type(e).__name__}"
                CHECKS.check(phase, "connect and send", False, f"{func.__name__}: {e}")
            CHECKS.outcome(phase, re.sub(r"\d{3}\+\d{3}", "ok", label))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)
    check_idle_invariants(server, phase)
    stop_and_check(server, phase)


# --------------------------------------------------------------------------------------- phase 2: idle flood

def open_idle(port, count, half_header=0, first_source=2):
    """count idle connections from 127.0.0.<first_source>.. (10 per address, so that a per-address limit does not
    hide the total; the legitimate client is 127.0.0.1); the first half_header of them send part of a request's
    headers. Returns (connections, connect failures)."""
    conns, failures, deadline = [], 0, time.monotonic() + 30
    sources = True
    for i in range(count):
        if time.monotonic() > deadline or failures > 20:
            break
        try:
            c = Conn(port, timeout=5, source=f"127.0.0.{first_source + i // 10}" if sources else None)
            if i < half_header:
                c.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
            conns.append(c)
        except OSError as e:
            if sources and e.errno == errno.EADDRNOTAVAIL:  # 127.0.0.0/8 is not all local here
                sources = False
                CHECKS.note("cannot bind 127.0.0.x source addresses: the flood comes from 127.0.0.1")
                continue
            failures += 1
    return conns, failures


def closed_by_server(conns):
    closed = 0
    for c in conns:
        try:
            c.sock.setblocking(False)
            if c.sock.recv(1, socket.MSG_PEEK) in (b"",):
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    return closed


def legit_requests(server, phase, what, tries=3):
    for i in range(tries):
        rng = random.Random(i)
        reply = one_request(server.port, request_bytes("POST", "/v1/chat/completions", chat_body(rng), server.key),
                            timeout=60)
        record(phase, f"authenticated client {what}", validate(reply, "chat"))
        CHECKS.outcome(phase, f"legit {what} {reply.label()}")
        start = time.monotonic()
        health = one_request(server.port, request_bytes("GET", "/health"), timeout=30)
        seconds = time.monotonic() - start
        ok = health.status == 200 and seconds < 5
        CHECKS.check(phase, f"/health {what} answers 200 within 5 s", ok, f"{health.label()} after {seconds:.1f} s")


def phase_flood(ctx):
    phase = "2 flood"
    server = Server(ctx, phase, ["--parallel", 2])
    if server.start():
        server.baseline()
        conns, failures = open_idle(server.port, 300, half_header=30)
        CHECKS.note(f"flood: {len(conns)} idle connections open ({failures} could not connect)")
        time.sleep(1)
        legit_requests(server, phase, "during an idle flood")
        CHECKS.note(f"flood: the server closed {closed_by_server(conns)} of {len(conns)} idle connections so far")
        for c in conns:
            c.close()
        legit_requests(server, phase, "after an idle flood", tries=1)
        check_idle_invariants(server, phase)
        stop_and_check(server, phase)
    else:
        server.kill()

    # Under a 128-fd limit (hard and soft, so the server cannot raise it): 250 connections reach its own connection
    # limit, or the fd limit. Then the soft limit is lowered under it while it runs, past whatever limit it derived at
    # start, so that accept() really fails with EMFILE. Either way it must not spin, and must serve once it ends.
    server = Server(ctx, phase, ["--parallel", 2], nofile=128)
    if not server.start():
        return server.kill()
    server.baseline()
    for what in ("128-fd limit", "EMFILE"):
        if what == "EMFILE":
            try:
                resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (server.base_fds + 16, 128))
            except (OSError, AttributeError) as e:
                CHECKS.note(f"cannot lower the server's fd limit ({e}): EMFILE round skipped")
                break
        conns, failures = open_idle(server.port, 250, half_header=20)
        time.sleep(1.5)
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        time.sleep(4)
        cpu1, t1 = server.cpu_seconds(), time.monotonic()
        share = round(100 * (cpu1 - cpu0) / (t1 - t0)) if cpu0 is not None and cpu1 is not None else None
        fds = server.fds()
        CHECKS.check(phase, f"{what}: the server does not spin (< 30% of a core)", share is not None and share < 30,
                     f"{share}% of a core over {t1 - t0:.1f} s with {len(conns)} idle connections, {fds} fds open")
        CHECKS.note(f"{what}: {len(conns)} idle connections ({failures} failed), server CPU {share}%, fds {fds}")
        start = time.monotonic()
        health = one_request(server.port, request_bytes("GET", "/health"), timeout=30)
        CHECKS.outcome(phase, f"/health at {what}: {health.label()} after {time.monotonic() - start:.0f} s")
        for c in conns:
            c.close()
        legit_requests(server, phase, f"after the {what} flood", tries=2)
    check_idle_invariants(server, phase)
    stop_and_check(server, phase)


# ----------------------------------------------------------------------------------- phase 3: queue admission

def sized_prompt(server, rng, tokens):
    """A completions prompt of about `tokens` tokens (measured with /tokenize)."""
    words = tokens // 3
    for _ in range(6):
        body = completion_body(rng, words=words)
        text = body["prompt"] if isinstance(body["prompt"], str) else body["prompt"][0]
        r = one_request(server.port, request_bytes("POST", "/tokenize", {"content": text}, server.key), timeout=30)
        try:
            n = len(json.loads(r.body)["tokens"])
        except (ValueError, KeyError, TypeError):
            return text
        if abs(n - tokens) <= tokens // 10:
            return text
        words = max(1, int(words * tokens / max(n, 1)))
    return text


def phase_queue(ctx, seconds):
    phase = "3 queue"
    queue = 4
    server = Server(ctx, phase, ["--parallel", 1, "--queue", queue, "--ctx", 512, "--kv-size", 1024])
    if not server.start():
        return server.kill()
    server.baseline()
    rng = random.Random(f"{ctx.seed}-3")
    port, key = server.port, server.key

    # Requests that can never fit: 400 naming n or prompt, on an idle server, every time.
    never = [("completions", completion_body(rng, prompts=3, n=2)), ("chat", chat_body(rng, n=queue + 1)),
             ("completions", completion_body(rng, prompts=queue + 1))]
    for endpoint, body in never:
        path = "/v1/chat/completions" if endpoint == "chat" else "/v1/completions"
        reply = one_request(port, request_bytes("POST", path, body, key))
        results = validate(reply, "error", allowed=(400,))
        try:
            err = json.loads(reply.body)["error"]
            names = f"{err.get('param')} {err.get('message')}"
        except (ValueError, KeyError, TypeError):
            names = ""
        results["names n or prompt"] = None if re.search(r"\bn\b|prompt", names) else f"error: {names[:200]!r}"
        record(phase, f"{endpoint} with n x prompts > --queue {queue}", results)
        CHECKS.outcome(phase, f"never fits: {reply.label()}")
    reply = one_request(port, request_bytes("POST", "/v1/completions", completion_body(rng, prompts=2, n=2), key))
    record(phase, f"n x prompts == --queue {queue} on an idle server", validate(reply, "completions", n_choices=4))
    too_long = {"prompt": sized_prompt(server, rng, 700), "max_tokens": 4}
    reply = one_request(port, request_bytes("POST", "/v1/completions", too_long, key))
    record(phase, "prompt longer than --ctx", validate(reply, "error", allowed=(400,)))

    # Bursts of long single prompts: at least `queue` of each burst are served, the rest may get 429.
    deadline, bursts = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and bursts < 2000:
        bursts += 1
        size = rng.randint(queue + 2, 3 * queue)
        prompts = [sized_prompt(server, rng, rng.randint(150, 400)) for _ in range(2)]
        bodies = [{"prompt": prompts[i % 2] + f" {i}", "max_tokens": rng.randint(4, 16), "stream": rng.random() < 0.5}
                  for i in range(size)]
        replies = [None] * size

        def one(i):
            data = request_bytes("POST", "/v1/completions", bodies[i], key)
            replies[i] = (bodies[i]["stream"], one_request(port, data, timeout=120))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(size)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        for stream, reply in filter(None, replies):
            record(phase, "burst request", validate(reply, "completions", stream, allowed=(200, 429)))
            CHECKS.outcome(phase, f"burst {reply.label()}")
        served = sum(1 for r in replies if r and r[1].status == 200)
        CHECKS.check(phase, f"a burst has at least --queue ({queue}) served", served >= min(size, queue),
                     f"{served} of {size} got 200: {collections.Counter(r[1].label() for r in replies if r)}")
    check_idle_invariants(server, phase)
    stop_and_check(server, phase)

    # A long context, so that one generation outlasts the probe below.
    server = Server(ctx, phase, ["--parallel", 1, "--queue", queue, "--ctx", 8192])
    if server.start():
        server.baseline()
        check_queued_disconnect(server, phase, rng, queue)
        check_idle_invariants(server, phase)
    stop_and_check(server, phase)


def wait_metric(server, name, predicate, timeout):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        m = server.metrics() or {}
        value = m.get(name)
        if value is not None and predicate(value):
            return value, True
        time.sleep(0.05)
    return value, False


def check_queued_disconnect(server, phase, rng, queue):
    """One long generation runs; `queue` requests wait; they disconnect; the next request is queued, not 429."""
    port, key = server.port, server.key
    for attempt, max_tokens in enumerate([3000, 6000, 8000]):
        long_body = {"prompt": "1 + 1 =", "max_tokens": max_tokens, "ignore_eos": True, "stream": True}
        runner = Conn(port, timeout=10)
        runner.send(request_bytes("POST", "/v1/completions", long_body, key))
        finished = {}

        def drain():
            finished["reply"] = runner.read_reply(timeout=120)
            finished["at"] = time.monotonic()

        drainer = threading.Thread(target=drain)
        drainer.start()
        wait_metric(server, "baleen_requests_running", lambda v: v >= 1, 10)
        waiting = []
        for i in range(queue):
            c = Conn(port, timeout=10)
            c.send(request_bytes("POST", "/v1/completions", completion_body(rng, max_tokens=4), key))
            waiting.append(c)
        _, queued = wait_metric(server, "baleen_requests_waiting", lambda v: v >= queue, 10)
        full = one_request(port, request_bytes("POST", "/v1/completions", completion_body(rng, max_tokens=4), key))
        for c in waiting:
            c.close(reset=True)
        _, freed = wait_metric(server, "baleen_requests_waiting", lambda v: v == 0, 2)
        sent_at = time.monotonic()
        after = one_request(port, request_bytes("POST", "/v1/completions", completion_body(rng, max_tokens=4), key),
                            timeout=120)
        drainer.join(150)
        runner.close()
        if not queued or finished.get("at", 0) < sent_at:
            CHECKS.note(f"queued-disconnect attempt {attempt + 1}: inconclusive (queued {queued}, the running "
                        f"generation ended {'before' if finished.get('at', 0) < sent_at else 'after'} the probe)")
            continue
        CHECKS.outcome(phase, f"queued-disconnect: queue full {full.label()}, freed {freed}, next {after.label()}")
        CHECKS.check(phase, "queue full: 429 with Retry-After", full.status == 429 and full.header("retry-after"),
                     f"{full.label()} {full.body[:200]!r}")
        CHECKS.check(phase, "queued clients that disconnect free their place at once", freed,
                     "baleen_requests_waiting stayed above 0 for 2 s after the queued clients reset")
        record(phase, "request right after queued clients left", validate(after, "completions"))
        return
    CHECKS.check(phase, "queued-disconnect check conclusive", False, "a generation of 8000 tokens ended before "
                 "the probe, 3 times (see notes)")


# -------------------------------------------------------------------------------------------- phase 4: signals

def cache_files(directory):
    names = sorted(os.listdir(directory))
    caches = [n for n in names if re.fullmatch(r"prefix-cache-[0-9a-f]+\.bin", n)]
    temps = [n for n in names if "tmp" in n.lower() or n.endswith("~")]
    return caches, temps


def cache_state(directory, previous):
    """(state, bytes): absent, old (== previous), new (complete: magic and trailing SHA-256), or partial."""
    caches, _ = cache_files(directory)
    if not caches:
        return "absent", None
    with open(os.path.join(directory, caches[-1]), "rb") as f:
        data = f.read()
    if previous is not None and data == previous:
        return "old", data
    if len(data) > 40 and data[:8] == b"BALEENKV" and hashlib.sha256(data[:-32]).digest() == data[-32:]:
        return "new", data
    return "partial", data


Sent = collections.namedtuple("Sent", "at accepted endpoint stream n reply excused behind")


class LoadClients:
    """Clients sending random requests until the server exits. Each request remembers when it was fully sent,
    whether the server had surely accepted its connection (it answered on it before), what came back, and whether
    losing it is excused (pipelined behind a response that said Connection: close). Some pipeline a small request
    behind a generation; pingers pipeline 1-3 small requests back to back on kept-alive connections, so that some
    are unread at the signal."""

    def __init__(self, server, seed, count=6, pingers=2):
        self.server, self.results, self.lock = server, [], threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(random.Random(f"{seed}-{i}"), i < pingers))
                        for i in range(count + pingers)]
        for t in self.threads:
            t.start()

    def next_requests(self, rng, pinger):
        """[(bytes, endpoint, stream, n_choices)], keep the connection open after them."""
        if pinger:
            bodies = [{"content": f"{rng.randint(0, 99999)} + {rng.randint(0, 999)}"}
                      for _ in range(rng.choice([1, 1, 2, 3]))]
            return [(request_bytes("POST", "/tokenize", b, self.server.key, close=False), "tokenize", False, 1)
                    for b in bodies], True
        keep = rng.random() < 0.6
        requests = [random_generation(rng, self.server.key, close=not keep, words=rng.randint(0, 60))]
        if keep and rng.random() < 0.5:  # a small request pipelined behind the generation
            body = {"content": f"{rng.randint(0, 99999)}"}
            requests.append((request_bytes("POST", "/tokenize", body, self.server.key, close=False), "tokenize",
                             False, 1))
        return requests, keep

    def client(self, rng, pinger):
        conn, answered = None, False
        for _ in range(1000000):
            if self.stop.is_set():
                break
            try:
                if conn is None:
                    conn, answered = Conn(self.server.port, timeout=10), False
                requests, keep = self.next_requests(rng, pinger)
                if pinger:
                    time.sleep(rng.uniform(0, 0.003))
                conn.send(b"".join(r[0] for r in requests))
                sent_at = time.monotonic()
            except OSError:
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.05)
                continue
            said_close, ok, behind = False, True, None
            for _, endpoint, stream, n in requests:
                if ok:
                    reply = conn.read_reply(timeout=60)
                else:
                    reply = Reply()
                    reply.error = "never answered: the connection ended before"
                with self.lock:
                    self.results.append(Sent(sent_at, answered, endpoint, stream, n, reply, said_close, behind))
                behind = f"{endpoint}{' stream' if stream else ''} answered {reply.label()}"
                ok = ok and reply.complete
                answered = answered or reply.complete
                said_close = said_close or "close" in (reply.header("connection") or "").lower()
            if not keep or not ok or said_close:
                conn.close()
                conn = None
        if conn:
            conn.close()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(90)


def phase_signals(ctx, seconds):
    phase = "4 signals"
    cache_dir = os.path.join(ctx.work, "signals-cache")
    os.mkdir(cache_dir, 0o700)
    rng = random.Random(f"{ctx.seed}-4")
    deadline, previous, rounds = time.monotonic() + seconds, None, 0
    kinds = collections.Counter()
    while rounds < 1000 and (rounds < 4 or time.monotonic() < deadline):
        rounds += 1
        kind = rng.choice(["term", "term", "term+kill", "kill"]) if rounds > 2 else ["term", "term+kill"][rounds - 1]
        server = Server(ctx, phase, ["--parallel", 2, "--queue", 64, "--kv-size", 16384], cache_dir=cache_dir)
        if not server.start():
            server.kill()
            break
        err = server.stderr()
        CHECKS.check(phase, "restart: no cache warning", not re.search(r"not restored|warning", err),
                     err[-600:])
        CHECKS.check(phase, "restart: no temp files left in --cache-dir", not cache_files(cache_dir)[1],
                     f"{cache_files(cache_dir)[1]} after round {rounds - 1}")
        if previous is not None:
            CHECKS.outcome(phase, "restart restored the cache" if "restored" in err else "restart: nothing restored")
        load = LoadClients(server, f"{ctx.seed}-4-{rounds}")
        time.sleep(rng.uniform(1.0, 5.0))
        signal_at = time.monotonic()
        if kind == "kill":
            server.signal(signal.SIGKILL)
            code = stop_and_check(server, phase, sig=None, expect_codes=(-9,))
        elif kind == "term+kill":
            CHECKS.outcome(phase, "term+kill: " + kill_during_save(server, cache_dir))
            code = stop_and_check(server, phase, sig=None, expect_codes=(0, -9))
        else:
            code = stop_and_check(server, phase, sig=signal.SIGTERM, expect_codes=(0,))
        load.finish()
        kinds[f"{kind} (exit {code})"] += 1
        judge_requests(phase, load.results, signal_at, strict=kind == "term")
        state, data = cache_state(cache_dir, previous)
        CHECKS.outcome(phase, f"cache file after {kind}: {state}")
        temps = cache_files(cache_dir)[1]
        if temps:
            CHECKS.outcome(phase, f"temp file in the dir after {kind}")
        CHECKS.check(phase, "cache file absent, old or new complete (never partial)", state != "partial",
                     f"after {kind}: {len(data or b'')} bytes, not a complete file")
        if kind == "term" and code == 0:
            CHECKS.check(phase, "clean exit wrote a complete cache file", state in ("old", "new"), state)
        if state in ("old", "new"):
            previous = data
    CHECKS.note(f"signal rounds: {dict(kinds)}")
    server = Server(ctx, phase, ["--parallel", 2], cache_dir=cache_dir)
    if server.start():
        err = server.stderr()
        CHECKS.check(phase, "restart: no cache warning", not re.search(r"not restored|warning", err), err[-600:])
        CHECKS.check(phase, "restart: no temp files left in --cache-dir", not cache_files(cache_dir)[1],
                     f"{cache_files(cache_dir)[1]} after the last round")
        server.baseline()
        check_idle_invariants(server, phase)
    stop_and_check(server, phase)


def kill_during_save(server, cache_dir):
    """SIGTERM, then SIGKILL the moment a new file (the cache being written) appears in cache_dir."""
    before = set(os.listdir(cache_dir))
    server.signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server.proc.poll() is None:
        new = set(os.listdir(cache_dir)) - before
        if new:
            server.signal(signal.SIGKILL)
            temp = any(name in cache_files(cache_dir)[1] for name in new)
            return "killed with a new temp file in the dir" if temp else "killed once a new file appeared"
    server.signal(signal.SIGKILL)
    return "exited before a file appeared" if server.proc.poll() is not None else "killed: no file appeared in 20 s"


def judge_requests(phase, results, signal_at, strict):
    """Every request fully sent before SIGTERM on a connection the server had accepted got one complete answer;
    every answer that came is valid. With SIGKILL only complete answers are judged."""
    for r in results:
        before = r.at < signal_at
        accepted = r.accepted or r.at < signal_at - 2.0  # a fresh connection within 2 s may sit in the backlog
        when = "before" if before else "after"
        if r.reply.complete:
            record(phase, "answer under signals", validate(r.reply, r.endpoint, r.stream, r.n, (200, 429, 503)))
            CHECKS.outcome(phase, f"{when} signal: {r.reply.status}")
        elif strict and before and accepted and not r.excused:
            CHECKS.check(phase, "request sent before SIGTERM is answered", False,
                         f"POST {r.endpoint} on a {'kept-alive' if r.accepted else 'fresh'} connection"
                         f"{f', pipelined behind a {r.behind} without Connection: close' if r.behind else ''}, sent "
                         f"{(signal_at - r.at) * 1000:.1f} ms before SIGTERM: {r.reply.error}, "
                         f"{len(r.reply.body)} body bytes (status {r.reply.status})")
            CHECKS.outcome(phase, "before SIGTERM: no answer")
        else:
            why = "pipelined behind Connection: close" if r.excused else (
                "killed" if not strict else "sent after SIGTERM" if not before else "maybe in the backlog")
            CHECKS.outcome(phase, f"{when} signal: no answer ({why})")


# ---------------------------------------------------------------------------------------------------------- main

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("baleen")
    p.add_argument("source_dir")
    p.add_argument("--seconds", type=float, default=float(os.environ.get("BALEEN_FAULT_SECONDS", 0) or 150),
                   help="about how long the whole campaign runs (default 150, or env BALEEN_FAULT_SECONDS)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--phases", default="1,2,3,4", help="which phases, e.g. 1,4")
    args = p.parse_args(argv)
    global SANITIZER_RSS_MIB
    SANITIZER_RSS_MIB = sanitizer_rss_mib(args.baleen)
    args.seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print(f"fault campaign: seed {args.seed} (replay with --seed {args.seed}), about {args.seconds:.0f} s", flush=True)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    ctx = argparse.Namespace(baleen=args.baleen, model=os.path.join(args.source_dir, "models", "baleen-tiny-r1.gguf"),
                             seed=args.seed, key="fault-" + random.Random(args.seed).randbytes(12).hex())
    ctx.work = tempfile.mkdtemp(prefix="baleen_fault_")  # mode 0700
    phases = {int(x) for x in args.phases.split(",") if x}
    started = time.monotonic()
    try:
        for number, name, run in [(1, "random clients", lambda: phase_clients(ctx, 0.4 * args.seconds)),
                                  (2, "idle flood and fd exhaustion", lambda: phase_flood(ctx)),
                                  (3, "queue admission", lambda: phase_queue(ctx, 0.15 * args.seconds)),
                                  (4, "signals and --cache-dir", lambda: phase_signals(ctx, 0.35 * args.seconds))]:
            if number in phases:
                t0 = time.monotonic()
                print(f"== phase {number}: {name}", flush=True)
                run()
                print(f"   phase {number} took {time.monotonic() - t0:.0f} s", flush=True)
    finally:
        keep = CHECKS.failed and os.environ.get("BALEEN_FAULT_KEEP")
        if not keep:
            shutil.rmtree(ctx.work, ignore_errors=True)
        else:
            print(f"server logs kept in {ctx.work}")
    print(f"\nsummary (seed {args.seed}, {time.monotonic() - started:.0f} s):")
    for phase in sorted(CHECKS.outcomes):
        print(f"  phase {phase}:")
        for label, count in sorted(CHECKS.outcomes[phase].items()):
            print(f"    {count:6d}  {label}")
    for text in CHECKS.notes:
        print(f"  note: {text}")
    if CHECKS.failed:
        print("failed checks:")
        for (phase, name), count in sorted(CHECKS.failed.items()):
            print(f"  [{phase}] {name}: {count} time(s)")
            for example in CHECKS.examples[(phase, name)]:
                print(f"      e.g. {example}")
    print(f"{CHECKS.passed} passed, {sum(CHECKS.failed.values())} failed")
    return 1 if CHECKS.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
