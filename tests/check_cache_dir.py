#!/usr/bin/env python3
"""`baleen serve --cache-dir` end to end, as a hostile local user would prepare the directory (issue 18, items 1, 9).

usage: check_cache_dir.py BALEEN SOURCE_DIR

Refused, with exit code != 0, a message naming the path and the fix, and the directory left as it was: a
world-writable or group-readable DIR, a DIR owned by another uid (uid 65534; needs root, otherwise skipped), a
symlink, a DIR under a world-writable parent without the sticky bit. Accepted: a fresh nested DIR (created 0700),
where a request with an API key is cached and saved on SIGTERM to a 0600 file whose tenant is
HMAC-SHA256(DIR/tenant-secret, key), never the key or its plain SHA-256; a restart keeps the secret, restores the
cache, removes a stale temp file of an interrupted save and never writes through a link planted at the old temp name.
Exit 1 if anything failed.
"""
import hashlib
import hmac
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import urllib.request

baleen, src = sys.argv[1:3]
model = os.path.join(src, "models", "baleen-tiny-r1.gguf")
KEY = "sk-weak-key"
PROMPT = "The prefix cache keeps attention state of earlier prompts, so a repeated system prompt is cheap. " * 3
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


class Server:
    """`baleen serve` in the background; `port` is set once it prints that it is serving, None if it exited."""

    def __init__(self, cache_dir, *extra):
        cmd = [baleen, "serve", model, "--port", "0", "--parallel", "1", "-t", "2", "--api-key", KEY,
               "--cache-dir", cache_dir, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr = []
        self.port = None
        ready = threading.Event()

        def read_stdout():
            for line in self.proc.stdout:
                if "baleen: serving" in line and self.port is None:
                    self.port = int(line.split("http://")[1].split("/")[0].rsplit(":", 1)[1])
                    ready.set()
            ready.set()

        threading.Thread(target=read_stdout, daemon=True).start()
        self.err_thread = threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True)
        self.err_thread.start()
        ready.wait(timeout=120)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.err_thread.join(timeout=10)
        return code

    def log(self):
        return "".join(self.stderr)


def expect_refused(name, cache_dir, *parts):
    mode_before = os.lstat(cache_dir).st_mode if os.path.lexists(cache_dir) else None
    server = Server(cache_dir)
    if server.port is not None:
        check(False, f"{name}: the server started on {cache_dir}")
    code = server.stop()
    log = server.log()
    check(code not in (0, None), f"{name}: exit code {code}")
    for part in parts:
        check(part in log, f"{name}: {part!r} not in the message: {log.strip()}")
    if mode_before is not None:
        check(os.lstat(cache_dir).st_mode == mode_before, f"{name}: {cache_dir} was changed (chmod)")
    print(f"{name}: {log.strip().splitlines()[-1] if log.strip() else '(no message)'}")


def check_refusals(work):
    world = os.path.join(work, "world-writable")
    os.mkdir(world)
    os.chmod(world, 0o777)
    expect_refused("world-writable dir", world, world, "chmod 700 " + world)
    readable = os.path.join(work, "group-readable")
    os.mkdir(readable)
    os.chmod(readable, 0o755)
    expect_refused("0755 dir", readable, readable, "chmod 700 " + readable)
    link = os.path.join(work, "link")
    real = os.path.join(work, "real")
    os.mkdir(real, 0o700)
    os.symlink(real, link)
    expect_refused("symlinked dir", link, link, "symbolic link")
    shared = os.path.join(work, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    os.mkdir(os.path.join(shared, "cache"), 0o700)
    expect_refused("dir under a world-writable parent", os.path.join(shared, "cache"), shared, "sticky")
    theirs = os.path.join(work, "theirs")
    os.mkdir(theirs, 0o700)
    try:
        os.chown(theirs, 65534, 65534)
    except PermissionError:
        print("SKIP: a dir owned by another uid (cannot chown to 65534 without root)")
        return
    expect_refused("dir owned by uid 65534", theirs, theirs, "uid 65534", "chown")


def complete(port):
    body = json.dumps({"prompt": PROMPT, "max_tokens": 2, "temperature": 0}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", data=body,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def read_tenants(path):
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"BALEENKV", f"{path}: bad magic")
    version, = struct.unpack_from("<I", data, 8)
    size, = struct.unpack_from("<I", data, 12)
    offset = 16 + size + 4 + 8  # fingerprint, block_tokens, block_bytes
    n_tenants, = struct.unpack_from("<I", data, offset)
    offset += 4
    tenants = []
    for _ in range(n_tenants):
        size, = struct.unpack_from("<I", data, offset)
        tenants.append(data[offset + 4:offset + 4 + size].decode())
        offset += 4 + size
    return version, tenants, data


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def check_fresh_dir_and_restart(work):
    cache_dir = os.path.join(work, "fresh", "nested", "cache")
    server = Server(cache_dir)
    check(server.port is not None, f"fresh dir: the server did not start: {server.log()}")
    if server.port is None:
        server.stop()
        return
    complete(server.port)
    code = server.stop()
    check(code == 0, f"fresh dir: exit code {code}: {server.log()}")
    for path in [os.path.join(work, "fresh"), os.path.join(work, "fresh", "nested"), cache_dir]:
        check(mode(path) == 0o700, f"{path}: mode {oct(mode(path))}, expected 0700")
    secret_path = os.path.join(cache_dir, "tenant-secret")
    check(os.path.isfile(secret_path) and mode(secret_path) == 0o600, f"{secret_path}: missing or not 0600")
    secret = b""
    if os.path.isfile(secret_path):
        with open(secret_path, "rb") as f:
            secret = f.read()
    check(len(secret) == 32, f"{secret_path}: {len(secret)} bytes")
    caches = [name for name in os.listdir(cache_dir) if name.startswith("prefix-cache-") and name.endswith(".bin")]
    check(len(caches) == 1, f"fresh dir: cache files {os.listdir(cache_dir)}")
    if len(caches) != 1:
        return
    cache = os.path.join(cache_dir, caches[0])
    check(mode(cache) == 0o600, f"{cache}: mode {oct(mode(cache))}")
    version, tenants, data = read_tenants(cache)
    keyed = "key-" + hmac.new(secret, KEY.encode(), hashlib.sha256).hexdigest()[:32]
    unkeyed = "key-" + hashlib.sha256(KEY.encode()).hexdigest()[:32]
    check(version == 2, f"{cache}: version {version}")
    check(tenants == [keyed], f"{cache}: tenants {tenants}, expected [{keyed}] (HMAC under the secret)")
    check(KEY.encode() not in data and unkeyed.encode() not in data, f"{cache}: holds the key or its plain digest")

    # An interrupted save's leftover, and a link at the old predictable temp name: removed / never written through.
    stale = cache + ".tmp-abcdefghij01"
    with open(stale, "wb") as f:
        f.write(b"half a cache")
    victim = os.path.join(work, "victim")
    with open(victim, "w") as f:
        f.write("precious")
    os.symlink(victim, cache + ".tmp")
    server = Server(cache_dir)
    check(server.port is not None, f"restart: the server did not start: {server.log()}")
    check(not os.path.exists(stale), f"restart: {stale} was not removed")
    if server.port is not None:
        response = complete(server.port)
        usage = response.get("usage", {})
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or usage.get("prompt_cache_hit_tokens")
        cached = cached or 0
        check(cached > 0, f"restart: nothing reused from the restored cache: {usage}")
    code = server.stop()
    check(code == 0, f"restart: exit code {code}")
    check("prefix cache restored" in server.log(), f"restart: cache not restored: {server.log()}")
    if os.path.isfile(secret_path):
        with open(secret_path, "rb") as f:
            check(f.read() == secret, "restart: the tenant secret changed")
    with open(victim, "rb") as f:
        check(f.read() == b"precious", "restart: the save wrote through the link planted at the old .tmp name")
    check(read_tenants(cache)[1] == [keyed], "restart: the tenant id changed")


def main():
    with tempfile.TemporaryDirectory(prefix="baleen-cache-dir-") as work:
        work = os.path.realpath(work)
        for test in [check_refusals, check_fresh_dir_and_restart]:
            before = len(failures)
            try:
                test(work)
            except Exception as e:  # a crash in one check should not hide the others
                check(False, f"{test.__name__} raised {type(e).__name__}: {e}")
            print(f"{test.__name__}: {'ok' if len(failures) == before else 'FAILED'}")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("all --cache-dir checks passed")


if __name__ == "__main__":
    main()
