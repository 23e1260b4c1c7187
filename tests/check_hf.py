#!/usr/bin/env python3
"""End-to-end checks of Hugging Face checkpoints: tiny random folders written by tools/reference/make_hf.py (a
V3-style FP8 one with 128x128 block scales and edge blocks, a V2-Lite-style BF16 one, Qwen2/Llama/Qwen3 BF16 ones,
each sharded with an index) run directly and after `baleen convert`, with log-probs equal to the PyTorch reference
on the weights the folder represents; `quantize` and `verify`; damaged and refused inputs.

usage: check_hf.py BALEEN SOURCE_DIR
"""
import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

baleen, src = sys.argv[1:3]
TEXT = "Hello world, this is a test."
VARIANTS = ["deepseek2-v3", "deepseek2-v2lite", "qwen2", "llama", "qwen3"]
BOUND = 1e-3  # the engine tests' bound against the reference (tests/check_engine_cli.py)
EXACT = {**os.environ, "BALEEN_MATMUL": "exact"}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def run(*args, env=None):
    return subprocess.run([baleen, *map(str, args)], capture_output=True, text=True, timeout=600, env=env)


def logprobs(model):
    out = run("perplexity", model, "--json", TEXT, env=EXACT)
    check(out.returncode == 0, f"perplexity {model}: exit {out.returncode}: {out.stderr}")
    return json.loads(out.stdout) if out.returncode == 0 else {"tokens": [], "logprobs": []}


def reference(gguf, tokens):
    out = subprocess.run(["/usr/bin/python3", os.path.join(src, "tools/reference/goldens.py"), "logprobs", "--gguf",
                          gguf, "--tokens", ",".join(map(str, tokens))], capture_output=True, text=True, timeout=600)
    check(out.returncode == 0, f"reference on {gguf}: {out.stderr[-500:]}")
    return json.loads(out.stdout)["next_logprobs"] if out.returncode == 0 else []


def worst(a, b):
    return max((abs(x - y) for x, y in zip(a, b)), default=math.inf) if len(a) == len(b) else math.inf


def check_against_reference(work):
    for variant in VARIANTS:
        folder, effective = os.path.join(work, variant), os.path.join(work, f"{variant}.effective.gguf")
        direct = logprobs(folder)
        ref = reference(effective, direct["tokens"])
        d = worst(direct["logprobs"], ref)
        check(d <= BOUND, f"{variant}: folder vs reference differ by {d}")
        converted = os.path.join(work, f"{variant}.gguf")
        out = run("convert", folder, converted)
        check(out.returncode == 0 and "wrote" in out.stdout, f"{variant}: convert: {out.stderr}")
        via_gguf = logprobs(converted)
        d = worst(via_gguf["logprobs"], ref)
        check(via_gguf["tokens"] == direct["tokens"] and d <= BOUND, f"{variant}: converted GGUF vs reference {d}")
        print(f"{variant}: folder and converted GGUF agree with the reference (max |Δ| {d:.2e})")


def check_convert_types(work):
    # Q8_0 (which the reference decodes): Baleen and the reference agree on the converted file itself.
    q8 = os.path.join(work, "qwen3.q8_0.gguf")
    out = run("convert", os.path.join(work, "qwen3"), q8, "--type", "q8_0")
    check(out.returncode == 0, f"convert --type q8_0: {out.stderr}")
    ours = logprobs(q8)
    d = worst(ours["logprobs"], reference(q8, ours["tokens"]))
    check(d <= BOUND, f"qwen3 q8_0: engine vs reference {d}")
    # The MTP block is kept on request, and the mixed recipe puts attention above routed experts.
    mtp = os.path.join(work, "v3.q4_k_m.gguf")
    out = run("convert", os.path.join(work, "deepseek2-v3"), mtp, "--type", "q4_k_m", "--keep-mtp")
    check(out.returncode == 0, f"convert --keep-mtp: {out.stderr}")
    info = json.loads(run("inspect", mtp, "--json", "--tensors").stdout or "{}")
    types = {t["name"]: t["type"] for t in info.get("tensors", [])}
    check(info.get("hyperparameters", {}).get("nextn_predict_layers") == 1, "--keep-mtp: no nextn_predict_layers")
    check(types.get("blk.3.nextn.eh_proj.weight") is not None, "--keep-mtp: no blk.3.nextn.eh_proj.weight")
    check(types.get("blk.1.ffn_gate_exps.weight") == "Q4_K" and types.get("blk.1.attn_q_a.weight") == "Q6_K" and
          types.get("output.weight") == "Q6_K", f"q4_k_m recipe: {types}")
    check(logprobs(mtp)["logprobs"] != [], "the q4_k_m file does not run")
    # quantize: a BF16 GGUF re-quantized equals converting straight to the same type.
    for variant in ["llama", "deepseek2-v2lite"]:
        a, b = os.path.join(work, f"{variant}.rq.gguf"), os.path.join(work, f"{variant}.cq.gguf")
        out = run("quantize", os.path.join(work, f"{variant}.gguf"), a, "q5_k_m")
        check(out.returncode == 0, f"quantize {variant}: {out.stderr}")
        out = run("convert", os.path.join(work, variant), b, "--type", "q5_k_m")
        check(out.returncode == 0, f"convert {variant} q5_k_m: {out.stderr}")
        ta, tb = tensors(a), tensors(b)
        check(ta and ta == tb, f"{variant}: quantize q5_k_m != convert --type q5_k_m: "
                               f"{[n for n in ta if ta[n] != tb.get(n)][:5]}")


def tensors(path):
    """{name: (type, dims, bytes)} through the independent GGUF parser."""
    sys.path.insert(0, os.path.join(src, "tools/gguf_reference"))
    import gguf_ref
    parsed = gguf_ref.parse(open(path, "rb").read())
    return {t["name"]: (t["type"], t["dims"], t["data"]) for t in parsed["tensors"]}


def check_inspect_and_run(work):
    folder = os.path.join(work, "deepseek2-v2lite")
    info = json.loads(run("inspect", folder, "--json").stdout or "{}")
    gguf = json.loads(run("inspect", os.path.join(work, "deepseek2-v2lite.gguf"), "--json").stdout or "{}")
    check(info.get("architecture") == "deepseek2" and info.get("hyperparameters") == gguf.get("hyperparameters"),
          "inspect: folder and converted GGUF resolve to different hyperparameters")
    out = run("run", os.path.join(work, "qwen2"), "-p", "Hi", "-n", "4", "--temp", "0")
    check(out.returncode == 0, f"run on a folder: {out.stderr}")


def write_safetensors(path, header, data):
    text = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)


def check_errors(work):
    base = os.path.join(work, "qwen2")
    def damaged(name, mutate):
        folder = os.path.join(work, "bad-" + name)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(base, folder)
        shard = os.path.join(folder, "model-00001-of-00003.safetensors")
        mutate(folder, shard)
        return folder, shard
    def corrupt_header(folder, shard):
        data = bytearray(open(shard, "rb").read())
        data[40:44] = b"\x00\x01\x02\x03"
        open(shard, "wb").write(data)
    def short_file(folder, shard):
        data = open(shard, "rb").read()
        open(shard, "wb").write(data[:len(data) - 100])
    def overlap(folder, shard):
        write_safetensors(shard, {"model.norm.weight": {"dtype": "BF16", "shape": [256], "data_offsets": [0, 512]},
                                  "lm_head.weight": {"dtype": "BF16", "shape": [2], "data_offsets": [500, 504]}},
                          bytes(512))
    def arch(folder, shard):
        config = json.load(open(os.path.join(folder, "config.json")))
        config["architectures"] = ["MixtralForCausalLM"]
        json.dump(config, open(os.path.join(folder, "config.json"), "w"))
    cases = [("corrupt", corrupt_header, "header is not valid JSON"), ("short", short_file, "truncated"),
             ("overlap", overlap, "overlap"), ("arch", arch, "MixtralForCausalLM")]
    for name, mutate, expected in cases:
        folder, shard = damaged(name, mutate)
        for command in (["run", folder, "-p", "hi", "-n", "1"], ["convert", folder, os.path.join(work, "x.gguf")],
                        ["inspect", folder], ["verify", folder]):
            out = run(*command)
            named = "config.json" if name == "arch" else shard
            check(out.returncode == 1 and expected in out.stderr and named in out.stderr and
                  "Traceback" not in out.stderr and "CHECK" not in out.stderr,
                  f"{name} / {command[0]}: exit {out.returncode}, stderr {out.stderr!r}")
    # Pickle checkpoints: a folder with only pytorch_model.bin, and a .pt file given directly.
    folder = os.path.join(work, "pickle")
    os.makedirs(folder, exist_ok=True)
    shutil.copy(os.path.join(base, "config.json"), folder)
    open(os.path.join(folder, "pytorch_model.bin"), "wb").write(b"\x80\x02}q\x00.")
    open(os.path.join(work, "model.pt"), "wb").write(b"\x80\x02}q\x00.")
    for command in (["run", folder, "-p", "hi"], ["convert", folder, os.path.join(work, "x.gguf")],
                    ["run", os.path.join(work, "model.pt"), "-p", "hi"], ["inspect", os.path.join(work, "model.pt")]):
        out = run(*command)
        check(out.returncode == 1 and "arbitrary" in out.stderr and "pickle" in out.stderr,
              f"pickle / {command}: exit {out.returncode}, {out.stderr!r}")


def check_verify(work):
    folder = os.path.join(work, "llama")
    names = sorted(n for n in os.listdir(folder))
    manifest = os.path.join(work, "SHA256SUMS")
    with open(manifest, "w") as f:
        for n in names:
            data = open(os.path.join(folder, n), "rb").read()
            f.write(f"{hashlib.sha256(data).hexdigest()}  {n}\n")
    out = run("verify", folder, "--sha256-manifest", manifest)
    check(out.returncode == 0 and out.stdout.count("ok") >= len(names), f"verify: {out.stdout} {out.stderr}")
    copy = os.path.join(work, "llama-flipped")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    shard = os.path.join(copy, "model-00002-of-00003.safetensors")
    data = bytearray(open(shard, "rb").read())
    data[-1] ^= 1
    open(shard, "wb").write(data)
    out = run("verify", copy, "--sha256-manifest", manifest)
    check(out.returncode == 1 and "FAIL      model-00002-of-00003.safetensors: WRONG SHA-256" in out.stdout,
          f"verify of a flipped bit: {out.returncode} {out.stdout}")
    gguf = run("verify", os.path.join(work, "llama.gguf"))
    check(gguf.returncode == 0 and "llama" in gguf.stdout, f"verify GGUF: {gguf.stdout} {gguf.stderr}")


def main():
    with tempfile.TemporaryDirectory(prefix="baleen-hf-") as work:
        out = subprocess.run(["/usr/bin/python3", os.path.join(src, "tools/reference/make_hf.py"), "--out", work],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            print(out.stdout, out.stderr)
            return 1
        for test in [check_against_reference, check_convert_types, check_inspect_and_run, check_errors, check_verify]:
            test(work)
    print(f"{len(failures)} failure(s)" if failures else "all Hugging Face checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
