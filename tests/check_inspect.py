#!/usr/bin/env python3
"""Checks `baleen inspect --json --tensors` on tiny models against an independent parse of the same file
(tools/gguf_reference/gguf_ref.py), and checks that corrupt files give exit code 1 and a precise message.

usage: check_inspect.py BALEEN_BINARY TINY_MODEL_TOOL SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

baleen, tiny_tool, src = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "tools", "gguf_reference"))
import gguf_ref  # noqa: E402

failures = 0
TYPE_IDS = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8, "Q2_K": 10, "Q3_K": 11,
            "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "IQ4_NL": 20, "IQ4_XS": 23, "I32": 26, "BF16": 30}


def check(condition, message):
    global failures
    if not condition:
        failures += 1
        print("FAIL:", message)


with tempfile.TemporaryDirectory() as work:
    models = subprocess.run([tiny_tool, "--all", work], check=True, capture_output=True, text=True).stdout.split()
    # Quantized variants: K-quants with the converter's fallbacks (Q8_0/F16 where ne0 is not a multiple of 256).
    for arch, qtype in [("deepseek2", "q4_k"), ("qwen2", "q6_k"), ("deepseek2", "iq4_xs"), ("llama", "q8_0")]:
        path = os.path.join(work, f"{arch}-{qtype}.gguf")
        subprocess.run([tiny_tool, "--arch", arch, "--type", qtype, path], check=True, capture_output=True)
        models.append(path)
    for path in models:
        name = os.path.basename(path)
        out = subprocess.run([baleen, "inspect", path, "--json", "--tensors"], capture_output=True, text=True)
        check(out.returncode == 0, f"{name}: inspect exit {out.returncode}: {out.stderr}")
        if out.returncode != 0:
            continue
        j = json.loads(out.stdout)
        with open(path, "rb") as f:
            data = f.read()
        ref = gguf_ref.parse(data)
        kv = {k: v for k, _, v in ref["kvs"]}
        arch = kv["general.architecture"]
        check(j["architecture"] == arch, f"{name}: architecture")
        # Metadata-only architectures are inspected in full, with the one message `run` and `convert` give.
        check(j["runnable"] == ("not_runnable" not in j) and
              (j["runnable"] or "is recognized but its forward pass is not implemented yet" in j["not_runnable"]),
              f"{name}: runnable {j.get('runnable')}, {j.get('not_runnable')}")
        check(j["n_tensors"] == len(ref["tensors"]), f"{name}: n_tensors")
        check(j["file_size_bytes"] == len(data), f"{name}: file_size_bytes")
        n_params = 0
        for t in ref["tensors"]:
            count = 1
            for d in t["dims"]:
                count *= d
            n_params += count
        check(j["n_params"] == n_params, f"{name}: n_params {j['n_params']} != {n_params}")
        by_name = {t["name"]: t for t in j["tensors"]}
        for t in ref["tensors"]:
            got = by_name.get(t["name"])
            check(got is not None and got["shape"] == t["dims"] and got["bytes"] == t["size"],
                  f"{name}: tensor {t['name']}")
        # Every architecture key in the file appears in hyperparameters with the file's value (f32 to ~7 digits).
        for key, value in kv.items():
            if not key.startswith(arch + ".") or isinstance(value, dict):
                continue
            short = key[len(arch) + 1:]
            check(short in j["hyperparameters"], f"{name}: hyperparameter {short} missing")
            got = j["hyperparameters"].get(short)
            if got is None:
                continue
            if isinstance(value, float):
                check(abs(got - value) <= 1e-6 * max(1.0, abs(value)), f"{name}: {short} = {got}, file {value}")
            else:
                check(got == value, f"{name}: {short} = {got}, file {value}")
        tok = j["tokenizer"]
        check(tok["model"] == kv["tokenizer.ggml.model"] and tok["pre"] == kv["tokenizer.ggml.pre"], f"{name}: tok")
        check(tok["vocab_size"] == len(kv["tokenizer.ggml.tokens"]["items"]), f"{name}: vocab_size")
        check(tok["bos_token_id"] == kv["tokenizer.ggml.bos_token_id"], f"{name}: bos")
        check(tok["eos_token_id"] == kv["tokenizer.ggml.eos_token_id"], f"{name}: eos")
        types = {}
        for t in ref["tensors"]:
            type_name = next(n for n, i in TYPE_IDS.items() if i == t["type"])
            types[type_name] = types.get(type_name, 0) + 1
        check(j["tensor_types"] == types, f"{name}: tensor types {j['tensor_types']} != {types}")
        total = sum(t["size"] for t in ref["tensors"])
        check(abs(j["bits_per_weight"] - 8 * total / n_params) < 1e-9, f"{name}: bits per weight")
        print(f"{name}: inspect agrees with the independent parse")

    # A split model inspected from its first shard reports the whole model.
    shards = subprocess.run([tiny_tool, "--arch", "deepseek2", "--split", "20", os.path.join(work, "split")],
                            check=True, capture_output=True, text=True).stdout.split()
    out = subprocess.run([baleen, "inspect", shards[0], "--json"], capture_output=True, text=True)
    check(out.returncode == 0, f"split: {out.stderr}")
    if out.returncode == 0:
        j = json.loads(out.stdout)
        whole = json.loads(subprocess.run([baleen, "inspect", models[0], "--json"], capture_output=True,
                                          text=True).stdout)
        check(j["n_shards"] == len(shards) and j["n_tensors"] == whole["n_tensors"], "split: counts")
        check(j["n_params"] == whole["n_params"] and j["hyperparameters"] == whole["hyperparameters"], "split: same")
        print(f"split into {len(shards)} shards: inspect of the first shard reports the whole model")
    os.remove(shards[-1])
    out = subprocess.run([baleen, "inspect", shards[0]], capture_output=True, text=True)
    check(out.returncode == 1 and os.path.basename(shards[-1]) in out.stderr, f"missing shard: {out.stderr}")

    # Corrupt files: exit code 1 and a message naming the file.
    original = open(models[0], "rb").read()
    cases = {"truncated": original[: len(original) // 2], "bad-magic": b"GGUX" + original[4:],
             "empty": b"", "huge-kv-count": original[:16] + (2**62).to_bytes(8, "little") + original[24:]}
    for case, data in cases.items():
        path = os.path.join(work, case + ".gguf")
        with open(path, "wb") as f:
            f.write(data)
        out = subprocess.run([baleen, "inspect", path], capture_output=True, text=True)
        check(out.returncode == 1, f"{case}: exit code {out.returncode}")
        check(path in out.stderr and "error" in out.stderr, f"{case}: message {out.stderr!r}")
        print(f"{case}: exit 1, {out.stderr.strip()}")
    out = subprocess.run([baleen, "inspect", os.path.join(work, "missing.gguf")], capture_output=True, text=True)
    check(out.returncode == 1 and "missing.gguf" in out.stderr, "missing file")

print(f"{failures} failures")
sys.exit(1 if failures else 0)
