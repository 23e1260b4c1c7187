#!/usr/bin/env python3
"""Bounded loopback load test and serving benchmark for an OpenAI-compatible server (`baleen serve`, llama-server).

Python 3 standard library only. It talks to loopback addresses only (127.0.0.0/8, ::1, localhost): prompts and keys
never leave the machine. It either drives a server that is already running (--url) or starts one (--server-cmd),
waits until GET /health (or /v1/models) answers, and stops it (SIGTERM, then SIGKILL) at the end.

Modes:
  load         --clients N threads loop over streaming POST /v1/chat/completions for --duration seconds: varied
               prompts, some sharing a long system prompt, some resending the previous conversation (multi-turn),
               random max_tokens in [--min-tokens, --max-tokens]. Counts errors (non-200, malformed SSE, missing
               [DONE] or usage, connection errors); 429 is counted as "refused" and retried after Retry-After.
               Reports per-client requests and tokens, fairness (min/median/max, Jain's index), p50/p95 TTFT and
               inter-token latency, and aggregate generated tokens/s. Fails on any error or a client with no
               completed request.
  throughput   --streams N concurrent non-streaming POST /v1/completions (distinct text prompts, --max-tokens M,
               "ignore_eos": true) -r times: aggregate tok/s = total usage.completion_tokens / wall time (first
               request sent to last finished), per-stream tok/s; mean ± sd over the repeats.
  cached-ttft  time to first token (non-streaming, max_tokens 1) of a --prompt-tokens prompt whose first
               (prompt - --tail-tokens) tokens were just sent (warm prefix cache) versus a fully fresh prompt of the
               same size; reports the usage cache fields when present. With --api-keys a,b also the other-tenant
               case: key b sends exactly the prompt key a warmed, and must get no cache hit.

With --pid PID (or the started server) VmRSS is sampled every second from /proc/PID/status: first, after warm-up,
max, final, and the slope over the second half (MiB/min); --max-rss-growth-mib fails the run when final minus
after-warm-up exceeds it. --json FILE writes every figure. Every request has a deadline (--request-timeout); Ctrl-C
stops cleanly (in-flight connections are closed, partial figures reported, exit 130).

Exit status: 0 passed, 1 a check failed, 2 usage or setup error, 130 interrupted.

Examples:
  bench/serve_load.py load --server-cmd "build/release/tools/baleen serve --port 0 --parallel 4 -t 2" \\
      --clients 32 --duration 180 --json /tmp/load.json
  bench/serve_load.py throughput --url http://127.0.0.1:8080 --streams 8 --max-tokens 128 -r 3
  bench/serve_load.py cached-ttft --url http://127.0.0.1:8080 --api-keys KEY_A,KEY_B
"""
import argparse
import collections
import http.client
import ipaddress
import json
import math
import random
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

STOP = threading.Event()  # set on Ctrl-C (or when the started server dies): everything winds down
INTERRUPTED = threading.Event()  # Ctrl-C or SIGTERM: figures so far are reported, exit 130


class SetupError(Exception):
    """A problem before measuring (bad URL, server did not start): exit 2."""


# --------------------------------------------------------------------------------------------------------------
# Addresses and HTTP


def loopback_only(url):
    """(scheme, host, port) of url, or SetupError when the host is not a loopback address."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http":
        raise SetupError(f"only http:// URLs are supported (loopback, no TLS): {url}")
    host = parsed.hostname
    if not host:
        raise SetupError(f"no host in {url}")
    try:
        port = parsed.port or 80
    except ValueError as e:
        raise SetupError(f"bad port in {url}: {e}")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host != "localhost":
            raise SetupError(f"refusing non-loopback host {host!r}: use 127.0.0.1, ::1 or localhost")
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0])
                     for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
    if not addresses or not all(a.is_loopback for a in addresses):
        raise SetupError(f"refusing non-loopback host {host!r} ({', '.join(map(str, addresses))})")
    return host, port


class Live:
    """The open connections, so that Ctrl-C can close them and unblock the threads reading them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.conns = set()

    def add(self, conn):
        with self.lock:
            self.conns.add(conn)

    def discard(self, conn):
        with self.lock:
            self.conns.discard(conn)

    def close_all(self):
        with self.lock:
            conns = list(self.conns)
        for conn in conns:
            try:
                if conn.sock is not None:
                    conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


LIVE = Live()


class Target:
    """Where requests go: host, port, model name, and the keys."""

    def __init__(self, url, keys, connect_timeout=10.0):
        self.url = url.rstrip("/")
        self.host, self.port = loopback_only(self.url)
        self.keys = keys
        self.model = None
        self.context_length = None
        self.connect_timeout = connect_timeout

    def connection(self, timeout):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=min(timeout, self.connect_timeout))
        conn.connect()
        conn.sock.settimeout(timeout)
        LIVE.add(conn)
        return conn

    def headers(self, key):
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if key:
            h["Authorization"] = "Bearer " + key
        return h

    def request(self, method, path, body=None, key=None, timeout=60.0):
        """One whole request on its own connection: (status, headers dict, body bytes, seconds)."""
        conn = self.connection(timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            start = time.monotonic()
            conn.request(method, path, body=data, headers=self.headers(key))
            resp = conn.getresponse()
            payload = read_bounded(resp, conn, start + timeout)
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload, time.monotonic() - start
        finally:
            LIVE.discard(conn)
            conn.close()

    def json_request(self, method, path, body=None, key=None, timeout=60.0):
        status, headers, payload, seconds = self.request(method, path, body, key, timeout)
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = None
        return status, headers, parsed, seconds


def read_bounded(resp, conn, deadline):
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request deadline passed while reading the body")
        conn.sock.settimeout(left)
        chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def retry_after_seconds(headers, default=1.0):
    try:
        return max(0.05, min(float(headers.get("retry-after", default)), 10.0))
    except ValueError:
        return default


# --------------------------------------------------------------------------------------------------------------
# Starting a server, RSS


def die_with_parent():
    """In the child: SIGKILL when this script dies (even by SIGKILL), so no server outlives a killed test."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class StartedServer:
    """--server-cmd run as a child (no shell); its output is drained into a ring buffer (and --server-log)."""

    URL_RE = re.compile(r"(http://(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):\d+)")

    def __init__(self, cmd, log_path=None):
        self.argv = shlex.split(cmd)
        if not self.argv:
            raise SetupError("--server-cmd is empty")
        self.lines = collections.deque(maxlen=80)
        self.log = open(log_path, "w") if log_path else None
        self.url_seen = None
        self.url_event = threading.Event()
        self.stopping = False
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, errors="replace",
                                         start_new_session=True,  # Ctrl-C reaches us only; we stop it
                                         preexec_fn=die_with_parent)
        except OSError as e:
            raise SetupError(f"cannot start {self.argv[0]}: {e}")
        self.pid = self.proc.pid
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if self.log:
                self.log.write(line)
                self.log.flush()
            if self.url_seen is None:
                m = self.URL_RE.search(line)
                if m:
                    self.url_seen = m.group(1).replace("0.0.0.0", "127.0.0.1")
                    self.url_event.set()
        self.url_event.set()

    def wait_for_url(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.url_event.wait(0.2) and time.monotonic() < deadline and not STOP.is_set():
            pass
        if STOP.is_set():
            raise SetupError("interrupted")
        if self.url_seen is None:
            raise SetupError("the server printed no http://HOST:PORT address (pass --url):\n" + self.tail())
        return self.url_seen

    def died(self):
        return self.proc.poll() is not None and not self.stopping

    def tail(self, n=30):
        return "\n".join(list(self.lines)[-n:])

    def stop(self):
        """SIGTERM, 15 s grace, SIGKILL. Returns the exit code."""
        self.stopping = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        return self.proc.returncode


def wait_until_ready(target, server, timeout):
    """Polls GET /health, then GET /v1/models (llama-server answers 503 on /health while loading)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline and not STOP.is_set():
        if server is not None and server.proc.poll() is not None:
            raise SetupError(f"the server exited with {server.proc.returncode} before it was ready:\n{server.tail()}")
        if STOP.is_set():
            raise SetupError("interrupted")
        for path in ("/health", "/v1/models"):
            try:
                status, _, body, _ = target.json_request("GET", path, key=(target.keys or [None])[0], timeout=5)
                last = f"GET {path}: {status}"
                if status == 200:
                    return
            except (OSError, http.client.HTTPException, TimeoutError) as e:
                last = f"GET {path}: {e}"
        time.sleep(0.25)
    raise SetupError(f"the server was not ready within {timeout:.0f} s ({last})" +
                     (":\n" + server.tail() if server else ""))


def discover_model(target):
    """Model id and context length from /v1/models (Baleen: context_length; llama-server: meta.n_ctx_train)."""
    try:
        status, _, body, _ = target.json_request("GET", "/v1/models", key=(target.keys or [None])[0], timeout=10)
    except (OSError, http.client.HTTPException, TimeoutError):
        return
    if status != 200 or not isinstance(body, dict) or not body.get("data"):
        return
    first = body["data"][0]
    target.model = first.get("id")
    for value in (first.get("context_length"), first.get("max_model_len"), (first.get("meta") or {}).get("n_ctx_train")):
        if isinstance(value, int) and value > 0:
            target.context_length = value
            break
    try:  # llama-server: the context actually allocated per slot
        status, _, props, _ = target.json_request("GET", "/props", key=(target.keys or [None])[0], timeout=10)
        n_ctx = (props or {}).get("default_generation_settings", {}).get("n_ctx") if status == 200 else None
        if isinstance(n_ctx, int) and n_ctx > 0:
            target.context_length = n_ctx
    except (OSError, http.client.HTTPException, TimeoutError):
        pass


class RssSampler:
    """VmRSS of one process, every second, in MiB, with times relative to the start of the measurement."""

    def __init__(self, pid, interval=1.0):
        self.pid = pid
        self.interval = interval
        self.samples = []  # (seconds, MiB)
        self.t0 = time.monotonic()
        self.warm_at = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def read(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            return None
        return None

    def start(self):
        if self.read() is None:
            print(f"warning: cannot read VmRSS of pid {self.pid}; no RSS figures", file=sys.stderr)
            return self
        self.t0 = time.monotonic()
        self.thread.start()
        return self

    def mark_warm(self):
        self.warm_at = time.monotonic() - self.t0

    def _run(self):
        while not self.done.is_set():
            value = self.read()
            if value is None:
                break
            self.samples.append((time.monotonic() - self.t0, value))
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join(5)
        value = self.read()
        if value is not None:
            self.samples.append((time.monotonic() - self.t0, value))

    def summary(self, max_growth):
        if not self.samples:
            return None
        values = [v for _, v in self.samples]
        warm = values[0]
        if self.warm_at is not None:
            warm = next((v for t, v in self.samples if t >= self.warm_at), values[-1])
        half = self.samples[-1][0] / 2
        tail = [(t, v) for t, v in self.samples if t >= half]
        slope = None
        if len(tail) >= 3 and tail[-1][0] > tail[0][0]:
            mt = statistics.fmean(t for t, _ in tail)
            mv = statistics.fmean(v for _, v in tail)
            den = sum((t - mt) ** 2 for t, _ in tail)
            slope = sum((t - mt) * (v - mv) for t, v in tail) / den * 60.0 if den > 0 else None
        out = {"pid": self.pid, "samples": len(values), "first_mib": round(values[0], 2),
               "after_warmup_mib": round(warm, 2), "max_mib": round(max(values), 2), "final_mib": round(values[-1], 2),
               "growth_after_warmup_mib": round(values[-1] - warm, 2),
               "second_half_slope_mib_per_min": None if slope is None else round(slope, 3),
               "max_growth_mib": max_growth}
        out["ok"] = max_growth is None or values[-1] - warm <= max_growth
        return out


# --------------------------------------------------------------------------------------------------------------
# Small statistics


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ms(value):
    return None if value is None else round(value * 1000.0, 2)


def jain(values):
    total = sum(values)
    squares = sum(v * v for v in values)
    return (total * total) / (len(values) * squares) if values and squares > 0 else None


def mean_sd(values):
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def fmt(value, digits=1, unit=""):
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


# --------------------------------------------------------------------------------------------------------------
# Prompt text

WORDS = ("river mountain lantern copper harbor meadow signal garden engine silver thunder marble orchard canvas "
         "compass falcon glacier velvet crystal ember timber quartz willow beacon prism saddle anchor cobalt "
         "feather granite hollow island jasmine kettle ledger mirror nectar oyster pepper quiver ribbon spindle "
         "tundra umbrella violet walnut yonder zephyr amber basil cedar dune fjord grove heron indigo juniper").split()

SYSTEM_PROMPT = (
    "You are a careful assistant that solves small arithmetic problems and counts letters. Think step by step, "
    "write the intermediate sums, and give the final answer alone on the last line. Rules: use base ten; when "
    "adding, align the digits and carry; when subtracting, borrow from the next digit; when multiplying by one "
    "digit, multiply each digit and carry; when comparing, compare lengths first and then digits from the left; "
    "when counting letters, go through the word one letter at a time. Never guess. Keep the answer short. ")


def random_words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def question(rng):
    kind = rng.randrange(6)
    a, b = rng.randrange(10, 99999), rng.randrange(1, 9999)
    if kind == 0:
        return f"What is {a} + {b}?"
    if kind == 1:
        return f"What is {max(a, b)} - {min(a, b)}?"
    if kind == 2:
        return f"What is {a} * {rng.randrange(2, 10)}?"
    if kind == 3:
        return f"Which is larger, {a} or {b}?"
    if kind == 4:
        word = rng.choice(WORDS)
        return f"How many letters '{rng.choice(word)}' are in the word {word}?"
    return f"Write one sentence about a {rng.choice(WORDS)} and a {rng.choice(WORDS)}."


# --------------------------------------------------------------------------------------------------------------
# One streaming chat request


class RequestResult:
    __slots__ = ("kind", "ok", "error", "status", "ttft", "gaps", "tokens", "chunks", "seconds", "content",
                 "retry_after", "finish", "cached")

    def __init__(self):
        self.kind = None
        self.ok = False
        self.error = None  # short reason
        self.status = None
        self.ttft = None
        self.gaps = []
        self.tokens = 0
        self.chunks = 0
        self.seconds = None
        self.content = ""
        self.retry_after = None
        self.finish = None
        self.cached = None


def stream_chat(target, body, key, timeout):
    """POST /v1/chat/completions with stream: true; validates the SSE stream; never blocks past `timeout`."""
    r = RequestResult()
    start = time.monotonic()
    deadline = start + timeout
    conn = None
    try:
        conn = target.connection(timeout)
        conn.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(), headers=target.headers(key))
        resp = conn.getresponse()
        r.status = resp.status
        if resp.status != 200:
            headers = {k.lower(): v for k, v in resp.getheaders()}
            payload = read_bounded(resp, conn, deadline)
            if resp.status == 429:
                r.retry_after = retry_after_seconds(headers)
                r.error = "refused"
            else:
                r.error = f"HTTP {resp.status}: {payload[:200].decode(errors='replace')}"
            return r
        ctype = resp.getheader("Content-Type", "")
        if "text/event-stream" not in ctype:
            r.error = f"malformed SSE: Content-Type {ctype!r}"
            return r
        done = False
        usage = None
        stream_id = None
        last_token_time = None
        pieces = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                r.error = "timeout"
                return r
            conn.sock.settimeout(left)
            raw = resp.readline(1 << 20)
            if not raw:
                break
            line = raw.decode("utf-8", errors="strict").rstrip("\r\n")
            if not line or line.startswith(":"):
                continue  # event separator, keep-alive comment
            if done:
                r.error = f"malformed SSE: data after [DONE]: {line[:80]!r}"
                return r
            if not line.startswith("data:"):
                if line.split(":", 1)[0] in ("event", "id", "retry"):
                    continue
                r.error = f"malformed SSE: {line[:80]!r}"
                return r
            data = line[5:].lstrip(" ")
            if data == "[DONE]":
                done = True
                continue
            try:
                chunk = json.loads(data)
            except ValueError:
                r.error = f"malformed SSE: bad JSON {data[:80]!r}"
                return r
            if not isinstance(chunk, dict):
                r.error = "malformed SSE: chunk is not an object"
                return r
            if "error" in chunk:
                r.error = f"stream error: {json.dumps(chunk['error'])[:200]}"
                return r
            if stream_id is None:
                stream_id = chunk.get("id")
            elif chunk.get("id") != stream_id:
                r.error = f"malformed SSE: id changed from {stream_id!r} to {chunk.get('id')!r}"
                return r
            if chunk.get("usage"):
                usage = chunk["usage"]
            choices = chunk.get("choices")
            if not isinstance(choices, list):
                r.error = "malformed SSE: no choices list"
                return r
            for choice in choices:
                delta = choice.get("delta") or {}
                text = (delta.get("content") or "") + (delta.get("reasoning_content") or "") + \
                    (delta.get("reasoning") or "")
                if delta.get("tool_calls"):
                    text += json.dumps(delta["tool_calls"])
                if text:
                    now = time.monotonic()
                    if r.ttft is None:
                        r.ttft = now - start
                    else:
                        r.gaps.append(now - last_token_time)
                    last_token_time = now
                    r.chunks += 1
                    if delta.get("content"):
                        pieces.append(delta["content"])
                if choice.get("finish_reason"):
                    r.finish = choice["finish_reason"]
        if not done:
            r.error = "malformed SSE: stream ended without [DONE]"
            return r
        if r.finish is None:
            r.error = "malformed SSE: no finish_reason"
            return r
        if usage is None or not isinstance(usage.get("completion_tokens"), int):
            r.error = "malformed SSE: no usage chunk (stream_options.include_usage)"
            return r
        r.tokens = usage["completion_tokens"]
        r.cached = cache_fields(usage)
        r.content = "".join(pieces)
        r.ok = True
        return r
    except UnicodeDecodeError:
        r.error = "malformed SSE: invalid UTF-8"
        return r
    except (OSError, http.client.HTTPException, TimeoutError) as e:
        r.error = "interrupted" if STOP.is_set() else f"connection: {type(e).__name__}: {e}"
        return r
    finally:
        r.seconds = time.monotonic() - start
        if STOP.is_set() and not r.ok and r.error != "refused":
            r.error = "interrupted"  # we closed the connection (Ctrl-C, or the server died)
        if conn is not None:
            LIVE.discard(conn)
            conn.close()


def cache_fields(usage):
    details = usage.get("prompt_tokens_details") or {}
    return {"prompt_tokens": usage.get("prompt_tokens"),
            "prompt_cache_hit_tokens": usage.get("prompt_cache_hit_tokens"),
            "prompt_cache_miss_tokens": usage.get("prompt_cache_miss_tokens"),
            "cached_tokens": details.get("cached_tokens") if isinstance(details, dict) else None}


# --------------------------------------------------------------------------------------------------------------
# load


class ClientStats:
    def __init__(self, index, key_index):
        self.index = index
        self.key_index = key_index
        self.requests = 0
        self.tokens = 0
        self.refused = 0
        self.errors = 0
        self.kinds = collections.Counter()


def load_client(target, args, index, key, stats, results, lock, end_time, system_prompt):
    rng = random.Random(args.seed * 1000003 + index)
    conversation = []  # the previous exchange, for multi-turn resends
    conv_chars_limit = args.conversation_chars
    while not STOP.is_set() and time.monotonic() < end_time:
        roll = rng.random()
        if conversation and roll < 0.3 and sum(len(m["content"]) for m in conversation) < conv_chars_limit:
            kind = "multi-turn"
            messages = conversation + [{"role": "user", "content": question(rng)}]
        elif roll < 0.6:
            kind = "shared-system"
            messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": question(rng)}]
        else:
            kind = "single"
            messages = [{"role": "user", "content": question(rng)}]
        body = {"messages": messages, "stream": True, "stream_options": {"include_usage": True},
                "max_tokens": rng.randint(args.min_tokens, args.max_tokens), "temperature": args.temperature}
        if target.model:
            body["model"] = target.model
        while True:  # 429: wait Retry-After and resend the same request
            r = stream_chat(target, body, key, args.request_timeout)
            if r.error == "refused" and not STOP.is_set():
                with lock:
                    stats.refused += 1
                STOP.wait(r.retry_after)
                if time.monotonic() < end_time:
                    continue
            break
        r.kind = kind
        if r.error == "refused" or (r.error == "interrupted" and STOP.is_set()):
            break
        with lock:
            results.append(r)
            stats.kinds[kind] += 1
            if r.ok:
                stats.requests += 1
                stats.tokens += r.tokens
            else:
                stats.errors += 1
        if r.ok:
            conversation = messages + [{"role": "assistant", "content": r.content}]
            if kind != "multi-turn" and rng.random() < 0.5:
                conversation = []
        else:
            conversation = []
            STOP.wait(0.2)  # no tight loop against a failing server


def run_load(target, args, rss):
    keys = target.keys or [None]
    system_prompt = SYSTEM_PROMPT * max(1, args.system_repeat)
    if target.context_length:
        # Prompts must fit the context: a character is at most ~0.7 tokens even for a small vocabulary, so the
        # shared system prompt gets 40% of the context in characters and a resent conversation 60%.
        budget = int(target.context_length * 0.4)
        if len(system_prompt) > budget:
            system_prompt = system_prompt[:budget].rsplit(" ", 1)[0] + " "
        args.conversation_chars = min(args.conversation_chars, int(target.context_length * 0.6))
    lock = threading.Lock()
    results = []
    clients = [ClientStats(i, i % len(keys)) for i in range(args.clients)]
    start = time.monotonic()
    end_time = start + args.duration
    threads = [threading.Thread(target=load_client, daemon=True,
                                args=(target, args, i, keys[i % len(keys)], clients[i], results, lock, end_time,
                                      system_prompt))
               for i in range(args.clients)]
    for t in threads:
        t.start()
    warm_marked = False
    hard_end = end_time + args.request_timeout + 30
    hung = False
    last_report = start
    while any(t.is_alive() for t in threads):
        now = time.monotonic()
        if not warm_marked and rss and now - start >= args.warmup:
            rss.mark_warm()
            warm_marked = True
        if now > hard_end:
            print("warning: clients still busy past the hard deadline; closing connections", file=sys.stderr)
            hung = True
            STOP.set()
            LIVE.close_all()
            break
        if args.progress and now - last_report >= args.progress:
            last_report = now
            with lock:
                done = sum(c.requests for c in clients)
                errs = sum(c.errors for c in clients)
                toks = sum(c.tokens for c in clients)
            print(f"  [{now - start:6.1f} s] {done} requests, {toks} tokens, {errs} errors", file=sys.stderr)
        check_server_alive(args)
        time.sleep(0.2)
    for t in threads:
        t.join(5)
    wall = time.monotonic() - start
    if rss and not warm_marked:
        rss.mark_warm()
    with lock:
        results = list(results)
    ok = [r for r in results if r.ok]
    errors = [r for r in results if not r.ok]
    ttfts = [r.ttft for r in ok if r.ttft is not None]
    gaps = [g for r in ok for g in r.gaps]
    tpots = [(r.seconds - r.ttft) / (r.tokens - 1) for r in ok if r.ttft is not None and r.tokens > 1]
    tokens = [c.tokens for c in clients]
    error_kinds = collections.Counter(e.error.split(":")[0] if not e.error.startswith("malformed") else
                                      e.error[:60] for e in errors)
    cache_hits = [r.cached.get("prompt_cache_hit_tokens") or r.cached.get("cached_tokens") or 0
                  for r in ok if r.cached]
    prompt_tokens = sum((r.cached or {}).get("prompt_tokens") or 0 for r in ok)
    zero = [c.index for c in clients if c.requests == 0]
    report = {
        "mode": "load", "url": target.url, "model": target.model, "clients": args.clients,
        "duration_s": args.duration, "wall_s": round(wall, 2), "keys": len(keys) if target.keys else 0,
        "max_tokens_range": [args.min_tokens, args.max_tokens],
        "requests_ok": len(ok), "errors": len(errors), "refused_429": sum(c.refused for c in clients),
        "error_kinds": dict(error_kinds), "error_examples": [e.error for e in errors[:5]],
        "requests_by_kind": dict(sum((c.kinds for c in clients), collections.Counter())),
        "generated_tokens": sum(tokens), "generated_tokens_per_s": round(sum(tokens) / wall, 2) if wall > 0 else None,
        "prompt_tokens": prompt_tokens, "prompt_cache_hit_tokens": sum(cache_hits),
        "ttft_ms": {"p50": ms(percentile(ttfts, 50)), "p95": ms(percentile(ttfts, 95)), "max": ms(max(ttfts, default=None))},
        "itl_ms": {"p50": ms(percentile(gaps, 50)), "p95": ms(percentile(gaps, 95)), "max": ms(max(gaps, default=None))},
        "tpot_ms": {"p50": ms(percentile(tpots, 50)), "p95": ms(percentile(tpots, 95))},
        "e2e_ms": {"p50": ms(percentile([r.seconds for r in ok], 50)), "p95": ms(percentile([r.seconds for r in ok], 95))},
        "fairness": {"tokens_min": min(tokens, default=0), "tokens_median": statistics.median(tokens) if tokens else 0,
                     "tokens_max": max(tokens, default=0), "jain_index": None if jain(tokens) is None else round(jain(tokens), 4),
                     "requests_min": min((c.requests for c in clients), default=0),
                     "requests_max": max((c.requests for c in clients), default=0)},
        "clients_without_progress": zero,
        "per_client": [{"client": c.index, "key": c.key_index, "requests": c.requests, "tokens": c.tokens,
                        "errors": c.errors, "refused": c.refused} for c in clients],
    }
    failures = []
    if errors:
        failures.append(f"{len(errors)} errors")
    if zero:
        failures.append(f"{len(zero)} clients made no progress")
    if hung:
        failures.append("clients were still waiting past duration + request timeout")
    return report, failures


def print_load(report):
    f = report["fairness"]
    print(f"load: {report['clients']} clients × {report['duration_s']} s against {report['url']} "
          f"({report['model']}), wall {report['wall_s']} s")
    print(f"  requests ok {report['requests_ok']}  errors {report['errors']}  refused (429) {report['refused_429']}  "
          f"by kind {report['requests_by_kind']}")
    for kind, n in report["error_kinds"].items():
        print(f"    error {kind}: {n}")
    for example in report["error_examples"]:
        print(f"    e.g. {example}")
    print(f"  generated {report['generated_tokens']} tokens, {fmt(report['generated_tokens_per_s'])} tok/s aggregate; "
          f"prompt {report['prompt_tokens']} tokens, {report['prompt_cache_hit_tokens']} from cache")
    print(f"  TTFT p50 {fmt(report['ttft_ms']['p50'])} ms  p95 {fmt(report['ttft_ms']['p95'])} ms   "
          f"ITL p50 {fmt(report['itl_ms']['p50'])} ms  p95 {fmt(report['itl_ms']['p95'])} ms   "
          f"e2e p50 {fmt(report['e2e_ms']['p50'])} ms  p95 {fmt(report['e2e_ms']['p95'])} ms")
    print(f"  tokens per client min {f['tokens_min']}  median {f['tokens_median']}  max {f['tokens_max']}  "
          f"Jain {fmt(f['jain_index'], 3)}   requests per client {f['requests_min']}..{f['requests_max']}")
    if report["clients_without_progress"]:
        print(f"  clients without progress: {report['clients_without_progress']}")


# --------------------------------------------------------------------------------------------------------------
# throughput


def completion(target, prompt, max_tokens, key, timeout, extra=None):
    body = {"prompt": prompt, "max_tokens": max_tokens, "stream": False}
    if target.model:
        body["model"] = target.model
    body.update(extra or {})
    try:
        status, headers, reply, seconds = target.json_request("POST", "/v1/completions", body, key, timeout)
    except (OSError, http.client.HTTPException, TimeoutError) as e:
        return {"error": "interrupted" if STOP.is_set() else f"connection: {type(e).__name__}: {e}"}
    if status != 200 or not isinstance(reply, dict) or not isinstance(reply.get("usage"), dict):
        return {"error": f"HTTP {status}: {json.dumps(reply)[:200]}", "status": status,
                "retry_after": retry_after_seconds(headers) if status == 429 else None}
    return {"seconds": seconds, "usage": reply["usage"],
            "finish": ((reply.get("choices") or [{}])[0] or {}).get("finish_reason")}


def run_throughput(target, args, rss):
    key = (target.keys or [None])[0]
    rng = random.Random(args.seed)
    extra = {"temperature": args.temperature}
    if not args.no_ignore_eos:
        extra["ignore_eos"] = True
    # Warm-up: one short request (first-touch of weights, thread pools).
    completion(target, random_words(rng, 16), 4, key, args.request_timeout, extra)
    if rss:
        rss.mark_warm()
    repeats = []
    errors = []
    for rep in range(args.repeat):
        if STOP.is_set():
            break
        prompts = [f"{i} {rep} " + random_words(rng, args.prompt_words) for i in range(args.streams)]
        out = [None] * args.streams
        barrier = threading.Barrier(args.streams + 1)

        def worker(i):
            try:
                barrier.wait(30)
            except threading.BrokenBarrierError:
                out[i] = {"error": "barrier"}
                return
            out[i] = completion(target, prompts[i], args.max_tokens, key, args.request_timeout, extra)
            out[i]["end"] = time.monotonic()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.streams)]
        for t in threads:
            t.start()
        barrier.wait(30)
        start = time.monotonic()
        for t in threads:
            while t.is_alive() and not STOP.is_set():
                t.join(0.2)
                check_server_alive(args)
        if STOP.is_set():
            break
        good = [o for o in out if o and "error" not in o]
        errors += [o["error"] for o in out if o and "error" in o]
        if not good:
            continue
        wall = max(o["end"] for o in good) - start
        total = sum(o["usage"].get("completion_tokens", 0) for o in good)
        per_stream = [o["usage"].get("completion_tokens", 0) / o["seconds"] for o in good if o["seconds"] > 0]
        repeats.append({"streams_ok": len(good), "wall_s": round(wall, 3), "completion_tokens": total,
                        "prompt_tokens": sum(o["usage"].get("prompt_tokens", 0) for o in good),
                        "aggregate_tok_s": round(total / wall, 2) if wall > 0 else None,
                        "per_stream_tok_s": [round(x, 2) for x in per_stream],
                        "finish_reasons": dict(collections.Counter(o["finish"] for o in good)),
                        "short_streams": sum(o["usage"].get("completion_tokens", 0) < args.max_tokens for o in good)})
        r = repeats[-1]
        print(f"  run {rep + 1}/{args.repeat}: {r['completion_tokens']} tokens in {r['wall_s']} s = "
              f"{fmt(r['aggregate_tok_s'])} tok/s ({r['streams_ok']}/{args.streams} streams ok)", file=sys.stderr)
    agg = [r["aggregate_tok_s"] for r in repeats if r["aggregate_tok_s"]]
    per = [x for r in repeats for x in r["per_stream_tok_s"]]
    agg_mean, agg_sd = mean_sd(agg)
    per_mean, per_sd = mean_sd(per)
    short = sum(r["short_streams"] for r in repeats)
    report = {"mode": "throughput", "url": target.url, "model": target.model, "streams": args.streams,
              "max_tokens": args.max_tokens, "repeats": args.repeat, "ignore_eos_sent": not args.no_ignore_eos,
              "aggregate_tok_s_mean": None if agg_mean is None else round(agg_mean, 2),
              "aggregate_tok_s_sd": None if agg_sd is None else round(agg_sd, 2),
              "per_stream_tok_s_mean": None if per_mean is None else round(per_mean, 2),
              "per_stream_tok_s_sd": None if per_sd is None else round(per_sd, 2),
              "streams_shorter_than_max_tokens": short, "errors": len(errors), "error_examples": errors[:5],
              "runs": repeats}
    failures = []
    if errors:
        failures.append(f"{len(errors)} errors")
    if not repeats:
        failures.append("no run completed")
    return report, failures


def print_throughput(report):
    print(f"throughput: {report['streams']} streams × {report['max_tokens']} tokens, {report['repeats']} runs, "
          f"{report['url']} ({report['model']})")
    print(f"  aggregate {fmt(report['aggregate_tok_s_mean'])} ± {fmt(report['aggregate_tok_s_sd'])} tok/s   "
          f"per stream {fmt(report['per_stream_tok_s_mean'])} ± {fmt(report['per_stream_tok_s_sd'])} tok/s")
    if report["streams_shorter_than_max_tokens"]:
        print(f"  note: {report['streams_shorter_than_max_tokens']} streams ended before max_tokens "
              f"(the server ignored ignore_eos?); tok/s counts the tokens actually generated")
    if report["errors"]:
        print(f"  errors {report['errors']}: {report['error_examples']}")


# --------------------------------------------------------------------------------------------------------------
# cached-ttft


def tokenize_count(target, text, key):
    """Number of tokens of text by POST /tokenize, or None when the server has no such endpoint."""
    try:
        status, _, reply, _ = target.json_request("POST", "/tokenize", {"content": text}, key, 30)
    except (OSError, http.client.HTTPException, TimeoutError):
        return None
    if status != 200 or not isinstance(reply, dict) or not isinstance(reply.get("tokens"), list):
        return None
    return len(reply["tokens"])


class TextSizer:
    """Random word text of about n tokens: measured with /tokenize when the server has it, else ~1.3 tokens/word."""

    def __init__(self, target, key, rng):
        self.target, self.key, self.rng = target, key, rng
        sample = random_words(random.Random(1), 400)
        n = tokenize_count(target, sample, key)
        self.measured = n is not None
        self.tokens_per_word = n / 400 if n else 1.3

    def text(self, n_tokens):
        words = max(1, round(n_tokens / self.tokens_per_word))
        text = random_words(self.rng, words)
        if not self.measured:
            return text, None
        for _ in range(4):  # adjust to within a few tokens
            count = tokenize_count(self.target, text, self.key)
            if count is None or abs(count - n_tokens) <= max(2, n_tokens // 200):
                return text, count
            words = max(1, words + round((n_tokens - count) / self.tokens_per_word))
            parts = text.split(" ")
            text = " ".join(parts[:words]) if words <= len(parts) else \
                text + " " + random_words(self.rng, words - len(parts))
        return text, tokenize_count(self.target, text, self.key)


def timed_first_token(target, prompt, key, args):
    """TTFT as the latency of a non-streaming completion with max_tokens 1 (the prompt is evaluated, one token is
    sampled), with the cache fields of its usage."""
    out = completion(target, prompt, 1, key, args.request_timeout, {"temperature": 0})
    if "error" in out:
        return {"error": out["error"]}
    return {"ttft_ms": ms(out["seconds"]), **cache_fields(out["usage"])}


def run_cached_ttft(target, args, rss):
    keys = target.keys or [None]
    rng = random.Random(args.seed)
    total, tail = args.prompt_tokens, args.tail_tokens
    if target.context_length and total + 8 > target.context_length:
        new_total = target.context_length - 8
        tail = max(1, round(tail * new_total / total))
        print(f"note: context is {target.context_length} tokens; prompt cut from {total} to {new_total} tokens "
              f"(tail {tail})", file=sys.stderr)
        total = new_total
    sizer = TextSizer(target, keys[0], rng)
    # Warm-up (first-touch), not measured.
    completion(target, random_words(rng, 8), 1, keys[0], args.request_timeout)
    if rss:
        rss.mark_warm()
    rounds = []
    failures = []
    for rep in range(args.repeat):
        if STOP.is_set():
            break
        prefix, prefix_n = sizer.text(total - tail)
        tail_a, _ = sizer.text(tail)
        tail_b, _ = sizer.text(tail)
        fresh_prefix, _ = sizer.text(total - tail)
        fresh_tail, _ = sizer.text(tail)
        row = {"prefix_tokens": prefix_n}
        row["warm"] = timed_first_token(target, prefix + " " + tail_a, keys[0], args)
        row["cached"] = timed_first_token(target, prefix + " " + tail_b, keys[0], args)
        row["fresh"] = timed_first_token(target, fresh_prefix + " " + fresh_tail, keys[0], args)
        if len(keys) > 1:
            # Tenant b sends exactly the prompt tenant a warmed (a's last request), and must not reuse a's cache.
            row["other_tenant"] = timed_first_token(target, prefix + " " + tail_b, keys[1], args)
        rounds.append(row)
        for name, value in row.items():
            if isinstance(value, dict) and "error" in value:
                failures.append(f"{name}: {value['error']}")
        c, f = row["cached"].get("ttft_ms"), row["fresh"].get("ttft_ms")
        line = f"  round {rep + 1}/{args.repeat}: cached {fmt(c)} ms, fresh {fmt(f)} ms"
        if "other_tenant" in row:
            line += f", other tenant {fmt(row['other_tenant'].get('ttft_ms'))} ms"
        print(line, file=sys.stderr)

    def med(name, field):
        values = [r[name][field] for r in rounds if name in r and isinstance(r[name].get(field), (int, float))]
        return statistics.median(values) if values else None

    report = {"mode": "cached-ttft", "url": target.url, "model": target.model, "prompt_tokens_target": total,
              "tail_tokens": tail, "tokenize_endpoint": sizer.measured, "repeats": args.repeat, "rounds": rounds}
    for name in ("cached", "fresh", "other_tenant"):
        if any(name in r for r in rounds):
            report[name] = {field: med(name, field) for field in
                            ("ttft_ms", "prompt_tokens", "prompt_cache_hit_tokens", "prompt_cache_miss_tokens",
                             "cached_tokens")}
    cached, fresh = med("cached", "ttft_ms"), med("fresh", "ttft_ms")
    report["fresh_over_cached"] = round(fresh / cached, 2) if cached and fresh else None
    if "other_tenant" in report:
        other = report["other_tenant"]["ttft_ms"]
        report["other_tenant_over_fresh"] = round(other / fresh, 2) if other and fresh else None
        leaked = [r["other_tenant"] for r in rounds if "other_tenant" in r and
                  ((r["other_tenant"].get("prompt_cache_hit_tokens") or 0) > 0 or
                   (r["other_tenant"].get("cached_tokens") or 0) > 0)]
        # A prompt shares its first token or so with anything (BOS): more than a handful is reuse across keys.
        leaked = [x for x in leaked if max(x.get("prompt_cache_hit_tokens") or 0, x.get("cached_tokens") or 0) > 4]
        report["other_tenant_cache_reuse"] = bool(leaked)
        if leaked:
            failures.append(f"the other tenant reused the first tenant's cache: {leaked[0]}")
    if not rounds:
        failures.append("no round completed")
    return report, failures


def print_cached_ttft(report):
    print(f"cached-ttft: prompt ~{report['prompt_tokens_target']} tokens, shared prefix, {report['tail_tokens']}-token "
          f"tail, {report['repeats']} rounds (medians), {report['url']} ({report['model']}); "
          f"sized with {'/tokenize' if report['tokenize_endpoint'] else 'an estimate'}")
    for name in ("cached", "fresh", "other_tenant"):
        if name in report:
            r = report[name]
            print(f"  {name:13s} TTFT {fmt(r['ttft_ms'])} ms   prompt {r['prompt_tokens']}  hit {r['prompt_cache_hit_tokens']}"
                  f"  miss {r['prompt_cache_miss_tokens']}  cached_tokens {r['cached_tokens']}")
    print(f"  fresh / cached = {fmt(report['fresh_over_cached'], 2)}×")
    if "other_tenant" in report:
        print(f"  other tenant / fresh = {fmt(report.get('other_tenant_over_fresh'), 2)}×  "
              f"(cache reuse across keys: {'YES' if report['other_tenant_cache_reuse'] else 'no'})")


# --------------------------------------------------------------------------------------------------------------
# main

SERVER = None


def check_server_alive(args):
    if SERVER is not None and SERVER.died() and not STOP.is_set():
        print(f"error: the server exited with {SERVER.proc.returncode} during the run:\n{SERVER.tail()}", file=sys.stderr)
        STOP.set()
        LIVE.close_all()


def parse_args(argv):
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("server")
    where.add_argument("--url", help="http://127.0.0.1:PORT of a running server (loopback only); with --server-cmd: "
                                      "its address, when it does not print one")
    where.add_argument("--server-cmd", help="start this server (split like a shell, no shell), stop it at the end")
    where.add_argument("--server-log", help="with --server-cmd: write its output to this file")
    where.add_argument("--startup-timeout", type=float, default=180, help="seconds for the server to answer (180)")
    where.add_argument("--api-keys", help="k1,k2,...: Authorization: Bearer keys, spread over the clients")
    where.add_argument("--pid", type=int, help="sample VmRSS of this process (default: the started server)")
    where.add_argument("--max-rss-growth-mib", type=float, help="fail when final RSS - RSS after warm-up exceeds it")
    where.add_argument("--warmup", type=float, default=None, help="seconds before the 'after warm-up' RSS sample "
                                                                  "(load: min(15, duration/6))")
    where.add_argument("--request-timeout", type=float, default=120, help="deadline of one request, seconds (120)")
    where.add_argument("--seed", type=int, default=1)
    where.add_argument("--temperature", type=float, default=0.7)
    where.add_argument("--json", help="write every figure to this file")

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter,
                                epilog="Run 'serve_load.py MODE -h' for the options of a mode.")
    sub = p.add_subparsers(dest="mode", required=True)
    load = sub.add_parser("load", parents=[common], help="many streaming chat clients for a while")
    load.add_argument("--clients", type=int, default=32)
    load.add_argument("--duration", type=float, default=180, help="seconds (180)")
    load.add_argument("--min-tokens", type=int, default=8)
    load.add_argument("--max-tokens", type=int, default=64)
    load.add_argument("--system-repeat", type=int, default=4, help="copies of the shared system prompt text (4)")
    load.add_argument("--conversation-chars", type=int, default=1200,
                      help="multi-turn resends stop growing past this many characters (1200)")
    load.add_argument("--progress", type=float, default=10, help="progress line every N seconds on stderr (0: off)")
    tp = sub.add_parser("throughput", parents=[common], help="aggregate tok/s of N concurrent completions")
    tp.add_argument("--streams", type=int, default=8)
    tp.add_argument("--max-tokens", type=int, default=128)
    tp.add_argument("-r", "--repeat", type=int, default=3)
    tp.add_argument("--prompt-words", type=int, default=24, help="words of each (distinct) prompt (24)")
    tp.add_argument("--no-ignore-eos", action="store_true", help="do not send \"ignore_eos\": true")
    ct = sub.add_parser("cached-ttft", parents=[common], help="TTFT with a warm shared prefix vs a fresh prompt")
    ct.add_argument("--prompt-tokens", type=int, default=2000)
    ct.add_argument("--tail-tokens", type=int, default=100)
    ct.add_argument("-r", "--repeat", type=int, default=3)
    args = p.parse_args(argv)
    if args.mode == "load":
        if args.clients < 1 or args.duration <= 0 or not 1 <= args.min_tokens <= args.max_tokens:
            p.error("need --clients >= 1, --duration > 0 and 1 <= --min-tokens <= --max-tokens")
        if args.warmup is None:
            args.warmup = min(15.0, args.duration / 6)
    if args.mode == "throughput" and (args.streams < 1 or args.max_tokens < 1 or args.repeat < 1):
        p.error("need --streams, --max-tokens and --repeat >= 1")
    if args.mode == "cached-ttft" and not 1 <= args.tail_tokens < args.prompt_tokens:
        p.error("need 1 <= --tail-tokens < --prompt-tokens")
    if not args.url and not args.server_cmd:
        p.error("give --url or --server-cmd")
    return args


def main(argv):
    global SERVER
    args = parse_args(argv)
    keys = [k for k in (args.api_keys or "").split(",") if k] or None
    rss = None
    report, failures = None, []
    interrupted = False

    def on_signal(signum, frame):
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt  # the second one: give up waiting for anything
        INTERRUPTED.set()
        STOP.set()
        LIVE.close_all()  # requests in flight end now; the modes see STOP and report what they have

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # A parent may have blocked them (some job runners do): unblock, for us and for the server we start.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        try:
            if args.url:
                loopback_only(args.url)  # refuse before starting anything
            if args.server_cmd:
                SERVER = StartedServer(args.server_cmd, args.server_log)
                url = args.url or SERVER.wait_for_url(args.startup_timeout)
            else:
                url = args.url
            target = Target(url, keys)
            wait_until_ready(target, SERVER, args.startup_timeout)
            discover_model(target)
        except SetupError as e:
            if INTERRUPTED.is_set():
                raise KeyboardInterrupt
            print(f"error: {e}", file=sys.stderr)
            return 2
        pid = args.pid or (SERVER.pid if SERVER else None)
        if pid:
            rss = RssSampler(pid).start()
            if not rss.thread.is_alive():
                rss = None
        runner = {"load": run_load, "throughput": run_throughput, "cached-ttft": run_cached_ttft}[args.mode]
        report, failures = runner(target, args, rss)
    except KeyboardInterrupt:
        STOP.set()
        LIVE.close_all()
    finally:
        interrupted = INTERRUPTED.is_set()
        if interrupted:
            print("\ninterrupted", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip stopping the server
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if rss:
            rss.stop()
        server_exit = None
        server_died = SERVER is not None and SERVER.died()
        if SERVER is not None:
            server_exit = SERVER.stop()
    if report is None:
        report = {"mode": args.mode, "interrupted": interrupted}
    if rss:
        report["rss"] = rss.summary(args.max_rss_growth_mib)
        if report["rss"] and not report["rss"]["ok"]:
            failures.append(f"RSS grew {report['rss']['growth_after_warmup_mib']} MiB after warm-up "
                            f"(limit {args.max_rss_growth_mib})")
    if SERVER is not None:
        report["server_exit_code"] = server_exit
        if server_died:
            failures.append(f"the server died during the run (exit {server_exit})")
    report["interrupted"] = interrupted
    report["failures"] = failures
    report["passed"] = not failures and not interrupted
    if "url" in report:
        {"load": print_load, "throughput": print_throughput, "cached-ttft": print_cached_ttft}[args.mode](report)
    if report.get("rss"):
        r = report["rss"]
        print(f"  RSS (pid {r['pid']}): first {r['first_mib']} MiB, after warm-up {r['after_warmup_mib']}, "
              f"max {r['max_mib']}, final {r['final_mib']} (growth {r['growth_after_warmup_mib']}), "
              f"second-half slope {fmt(r['second_half_slope_mib_per_min'], 3)} MiB/min")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    if interrupted:
        return 130
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
