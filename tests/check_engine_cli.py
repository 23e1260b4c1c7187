#!/usr/bin/env python3
"""End-to-end checks of the inference commands (`baleen run`, `chat`, `perplexity`, `bench`) on tiny random-weight
models, and of the engine against the independent PyTorch reference on GGUFs written by Baleen's own writer.

usage: check_engine_cli.py BALEEN TINY_MODEL_TOOL SOURCE_DIR
Each check_* function is one test; main runs them all and exits 1 if any failed.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

baleen, tiny_tool, src = sys.argv[1:4]
TEXT = "Hello world, this is a test."
OTHER = "The quick brown fox <｜end▁of▁sentence｜> jumps."
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def run(*args, env=None):
    return subprocess.run([baleen, *map(str, args)], capture_output=True, text=True, timeout=300, env=env)


def run_json(*args, env=None):
    out = run(*args, env=env)
    check(out.returncode == 0, f"{' '.join(map(str, args[:1]))}: exit {out.returncode}: {out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines()] if out.returncode == 0 else []


def perplexity_json(model, text, *extra, env=None):
    got = run_json("perplexity", model, "--json", *extra, text, env=env)
    return got[0] if got else {"tokens": [], "logprobs": []}


def close(a, b, tolerance):
    return len(a) == len(b) and all(abs(x - y) <= tolerance for x, y in zip(a, b))


def check_perplexity_json(models, work):
    for arch, model in models.items():
        got = perplexity_json(model, TEXT)
        ids = run_json("tokenize", model, "--bos", "--json", TEXT)
        check(ids and got["tokens"] == ids[0]["ids"], f"{arch}: perplexity tokens differ from tokenize --bos")
        check(len(got["logprobs"]) == len(got["tokens"]) - 1 > 0, f"{arch}: {len(got['logprobs'])} logprobs")
        check(all(lp <= 0 and math.isfinite(lp) for lp in got["logprobs"]), f"{arch}: logprobs not all finite <= 0")


def check_perplexity_summary(models, work):
    for arch, model in models.items():
        logprobs = perplexity_json(model, TEXT)["logprobs"]
        out = run("perplexity", model, TEXT)
        check(out.returncode == 0, f"{arch}: perplexity: {out.stderr}")
        line = next((l for l in out.stdout.splitlines() if l.startswith("perplexity ")), "perplexity nan")
        printed, expected = float(line.split()[1]), math.exp(-sum(logprobs) / max(len(logprobs), 1))
        check(abs(printed - expected) <= 1e-4 * expected, f"{arch}: perplexity {printed} != exp(mean NLL) {expected}")


def check_perplexity_jsonl_and_file(models, work):
    model = models["deepseek2"]
    jsonl = os.path.join(work, "texts.jsonl")
    with open(jsonl, "w") as f:
        f.write(json.dumps(TEXT) + "\n" + json.dumps(OTHER, ensure_ascii=False) + "\n")
    batch = run_json("perplexity", model, "--jsonl", jsonl)
    singles = [perplexity_json(model, TEXT), perplexity_json(model, OTHER)]
    check(len(batch) == 2, f"--jsonl gave {len(batch)} objects, expected 2")
    for got, single in zip(batch, singles):
        check(got["tokens"] == single["tokens"] and close(got["logprobs"], single["logprobs"], 1e-5),
              "--jsonl result differs from a single run")
    text_file = os.path.join(work, "text.txt")
    with open(text_file, "w") as f:
        f.write(TEXT)
    from_file = run_json("perplexity", model, "--json", "--file", text_file)
    check(from_file and from_file[0] == singles[0], "--file result differs from the same text as an argument")
    # A small --batch scores in several chunks; the log-probabilities must not change.
    chunked = perplexity_json(model, TEXT, "--batch", "3")
    check(close(chunked["logprobs"], singles[0]["logprobs"], 1e-4), "--batch 3 changes the logprobs")


def check_perplexity_window(models, work):
    """One window as long as the text scores the second half of the whole-text run's predictions."""
    model = models["qwen2"]
    whole = perplexity_json(model, OTHER)
    n = len(whole["tokens"])
    got = run_json("perplexity", model, "--json", "--window", n, OTHER)
    expected = -sum(whole["logprobs"][n // 2:]) / len(whole["logprobs"][n // 2:])
    check(got and got[0]["windows"] == 1 and abs(got[0]["mean_nll"] - expected) <= 1e-4,
          f"--window {n}: {got} vs mean NLL {expected}")
    several = run_json("perplexity", model, "--json", "--window", 8, OTHER)
    check(several and several[0]["windows"] == n // 8 and several[0]["scored_tokens"] == (n // 8) * 3,
          f"--window 8: {several}")
    short = run("perplexity", model, "--window", n + 1, OTHER)
    check(short.returncode == 1 and "shorter than one --window" in short.stderr, f"--window too long: {short.stderr}")


def check_mla_forms_agree(models, work):
    naive = perplexity_json(models["deepseek2"], TEXT, "--mla", "naive")
    absorbed = perplexity_json(models["deepseek2"], TEXT, "--mla", "absorbed")
    check(naive["tokens"] == absorbed["tokens"], "--mla naive and absorbed tokenize differently")
    worst = max((abs(a - b) for a, b in zip(naive["logprobs"], absorbed["logprobs"])), default=math.inf)
    check(worst <= 1e-4, f"--mla naive and absorbed logprobs differ by {worst}")


def check_perplexity_errors(models, work):
    model = models["deepseek2"]
    bad = os.path.join(work, "bad.jsonl")
    with open(bad, "w") as f:
        f.write(json.dumps(TEXT) + "\n{not json\n")
    cases = [(["perplexity", model, "--file", os.path.join(work, "missing.txt")], 1, "missing.txt"),
             (["perplexity", os.path.join(work, "missing.gguf"), TEXT], 1, "missing.gguf"),
             (["perplexity", model, "--jsonl", bad], 1, "line 2"),
             (["perplexity", model, "--ctx", "4", TEXT], 1, "context of 4"),
             (["perplexity", model, ""], 1, "at least 2"),
             (["perplexity", model, "--bogus", TEXT], 2, "--bogus"),
             (["perplexity", model], 2, "TEXT"),
             (["perplexity", model, "--ctx", "x", TEXT], 2, "--ctx"),
             (["bench", model, "-p", "-3"], 2, "-p"),
             (["bench", model, "-r", "0"], 2, "-r"),
             (["bench", model, "--ctx-depth", "-1"], 2, "--ctx-depth"),
             (["bench", model, "--bogus"], 2, "--bogus")]
    for args, code, needle in cases:
        out = run(*args)
        check(out.returncode == code and needle in out.stderr,
              f"{' '.join(args[2:])}: exit {out.returncode} (want {code}), stderr {out.stderr.strip()[:200]!r}")
    for command in ["perplexity", "bench"]:
        out = run(command, "--help")
        check(out.returncode == 0 and "usage" in out.stdout, f"{command} --help")


def check_bench(models, work):
    for arch, model in models.items():
        # One thread: the test machine may be busy, and spinning OpenMP workers then slow everything down.
        got = run_json("bench", model, "--json", "-p", "16", "-n", "4", "-r", "2", "-t", "1", "--no-bandwidth")
        if not got:
            continue
        result = got[0]
        for test in ["pp", "tg"]:
            samples = result[f"{test}_samples"]
            check(len(samples) == 2 and all(math.isfinite(s) and s > 0 for s in samples),
                  f"{arch}: bench {test} samples {samples}")
            check(math.isfinite(result[f"{test}_tokens_per_s"]) and result[f"{test}_tokens_per_s"] > 0,
                  f"{arch}: bench {test} rate")
        check(result["isa"] in ("portable", "avx2", "avx2vnni", "avx512", "avx512vnni"), f"{arch}: bench isa {result.get('isa')}")
        check(result["pp_tokens"] == 16 and result["tg_tokens"] == 4 and result["reps"] == 2 and
              result["threads"] == 1 and result["ctx_depth"] == 0, f"{arch}: bench echo {result}")
        check(result["read_bandwidth_gb_per_s"] is None and result["tg_bound_tokens_per_s"] is None,
              f"{arch}: bench --no-bandwidth {result}")
    capped = run_json("bench", models["qwen2"], "--json", "-p", "4", "-n", "1", "-r", "1", "-t", "1", "--no-bandwidth",
                      env={**os.environ, "BALEEN_ISA": "portable"})
    check(capped and capped[0]["isa"] == "portable", f"bench under BALEEN_ISA=portable: {capped}")
    # With the bandwidth measurement (one run: it streams a buffer of a GiB or more) and a context depth.
    skipped = run_json("bench", models["qwen2"], "--json", "-p", "0", "-n", "2", "-r", "1", "-t", "1", "-d", "8")
    check(skipped and skipped[0]["pp_samples"] == [] and len(skipped[0]["tg_samples"]) == 1, "bench -p 0")
    bound = skipped[0] if skipped else {}
    check(bound.get("ctx_depth") == 8 and all((bound.get(k) or 0) > 0 for k in (
          "read_bandwidth_gb_per_s", "weight_bytes_per_token", "cache_bytes_per_token", "tg_bound_tokens_per_s",
          "tg_fraction_of_bound")), f"bench bound: {bound}")
    table = run("bench", models["qwen2"], "-p", "8", "-n", "2", "-r", "2", "-t", "1", "--ctx-depth", "4",
                "--no-bandwidth")
    check(table.returncode == 0 and "pp8 @ d4" in table.stdout and "tg2 @ d4" in table.stdout and
          "bandwidth" not in table.stdout, f"bench table: {table.stdout}")


def check_run(models, work):
    model = models["deepseek2"]
    greedy = run_json("run", model, "-p", "hello", "--temp", "0", "-n", "8", "--json")
    again = run_json("run", model, "-p", "hello", "--temp", "0", "-n", "8", "--json")
    check(greedy and again and greedy[0]["content"] == again[0]["content"] and
          greedy[0]["reasoning"] == again[0]["reasoning"], "run --temp 0 is not deterministic")
    if greedy:
        g = greedy[0]
        check(set(g) >= {"reasoning", "content", "usage", "finish_reason"}, f"run --json keys {sorted(g)}")
        check(g["usage"]["completion_tokens"] == 8 and g["finish_reason"] == "length", f"run -n 8: {g['usage']}")
        check(g["usage"]["total_tokens"] == g["usage"]["prompt_tokens"] + 8, "run usage totals")
        # The tiny template opens <think>: without an answer the whole output is reasoning.
        check(g["reasoning"] != "" and g["usage"]["reasoning_tokens"] == 8, f"run reasoning split: {g}")
    seeded = [run_json("run", model, "-p", "hello", "--seed", seed, "--temp", "1", "-n", "12", "--json")
              for seed in (7, 7, 8)]
    if all(seeded):
        check(seeded[0][0]["reasoning"] == seeded[1][0]["reasoning"], "same --seed, different output")
        check(seeded[0][0]["reasoning"] != seeded[2][0]["reasoning"], "different --seed, same output")
    # Thinking off closes the reasoning block in the prompt: everything is answer, streamed as it comes.
    answer = run_json("run", model, "-p", "hello", "--think", "off", "--temp", "0", "-n", "8", "--json")
    streamed = run("run", model, "-p", "hello", "--think", "off", "--temp", "0", "-n", "8")
    check(answer and answer[0]["reasoning"] == "" and answer[0]["content"] != "", f"--think off: {answer}")
    check(answer and streamed.stdout == answer[0]["content"] + "\n", "streamed text differs from --json content")
    check("generated 8 tokens" in streamed.stderr and "t/s" in streamed.stderr, f"speed line: {streamed.stderr}")
    # --raw continues the text itself (BOS + the text's tokens).
    raw = run_json("run", model, "-p", TEXT, "--raw", "--temp", "0", "-n", "4", "--json")
    ids = run_json("tokenize", model, "--bos", "--json", TEXT)
    check(raw and ids and raw[0]["usage"]["prompt_tokens"] == len(ids[0]["ids"]), "run --raw prompt tokens")
    # A stop string taken from the greedy answer ends the answer right before it.
    full = answer[0]["content"] if answer else ""
    stop = next((c for c in full[2:] if c != "\ufffd" and c.isprintable()), None)
    if stop:
        stopped = run_json("run", model, "-p", "hello", "--think", "off", "--temp", "0", "-n", "8", "--stop", stop,
                           "--json")
        check(stopped and stopped[0]["content"] == full[:full.index(stop)] and
              stopped[0]["finish_reason"] == "stop", f"--stop {stop!r}: {stopped} vs {full!r}")
    for args, code, needle in [(["run", model], 2, "-p"), (["run", model, "-p", "x", "--temp", "-1"], 1, "temperature"),
                               (["run", model, "-p", "x", "--top-p", "2"], 1, "top_p"),
                               (["run", model, "-p", "x" * 40, "--ctx", "8"], 1, "context"),
                               (["run", model, "-p", "x", "--ctx", "100000000000"], 1, "KV cache"),
                               (["run", model, "-p", "x", "--think", "maybe"], 2, "--think"),
                               (["run", model, "-p", "x", "--chat-format", "nope"], 1, "nope")]:
        out = run(*args)
        check(out.returncode == code and needle in out.stderr,
              f"{' '.join(args[2:])}: exit {out.returncode} (want {code}), stderr {out.stderr.strip()[:200]!r}")


def check_chat(models, work):
    script = "hello\n/think off\nhow are you?\n/clear\n/system be brief\nagain\n/quit\n"
    out = subprocess.run([baleen, "chat", models["qwen2"], "--temp", "0", "-n", "4"], input=script,
                         capture_output=True, text=True, timeout=300)
    check(out.returncode == 0, f"chat exit {out.returncode}: {out.stderr}")
    turns = [l for l in out.stderr.splitlines() if l.startswith("prompt ")]
    check(len(turns) == 3, f"chat: {len(turns)} turns answered, expected 3: {out.stderr}")
    # The second turn reuses the first turn's cache (the conversation grows); /clear starts over.
    cached = [int(l.split("(")[1].split()[0]) for l in turns]
    check(len(cached) == 3 and cached[1] > 0, f"chat: cached prompt tokens per turn {cached}")
    check(out.stderr.count("ok") >= 3, "chat: /think, /clear and /system are acknowledged")


def reference_logprobs(model, tokens):
    out = subprocess.run(["/usr/bin/python3", os.path.join(src, "tools/reference/goldens.py"), "logprobs", "--gguf",
                          model, "--tokens", ",".join(map(str, tokens))], capture_output=True, text=True,
                         timeout=600)
    check(out.returncode == 0, f"reference on {os.path.basename(model)}: {out.stderr.strip()[-300:]}")
    return json.loads(out.stdout)["next_logprobs"] if out.returncode == 0 else []


def check_reference_on_own_writer(models, work):
    """The reference reads the GGUFs Baleen's writer produces; both must agree (V3 with MTP, V2-Lite, Q4_K, dense)."""
    variants = {"deepseek2-v3-mtp": ["--arch", "deepseek2", "--mtp"], "deepseek2-v2lite": ["--arch", "deepseek2",
                "--v2-lite"], "deepseek2-v3-q4_k": ["--arch", "deepseek2", "--type", "q4_k"],
                "qwen2": ["--arch", "qwen2"], "llama": ["--arch", "llama"], "qwen3-q8_0": ["--arch", "qwen3",
                "--type", "q8_0"]}
    for name, flags in variants.items():
        path = os.path.join(work, f"own-{name}.gguf")
        subprocess.run([tiny_tool, *flags, path], check=True, capture_output=True)
        # Exact matmuls, as the reference computes: the default integer kernels round activations to 8 bits.
        ours = perplexity_json(path, OTHER, env={**os.environ, "BALEEN_MATMUL": "exact"})
        theirs = reference_logprobs(path, ours["tokens"])
        worst = max((abs(a - b) for a, b in zip(ours["logprobs"], theirs)), default=math.inf)
        check(len(theirs) == len(ours["logprobs"]) and worst <= 1e-3, f"{name}: engine vs reference differ by {worst}")
        print(f"  {name}: {len(theirs)} log-probs, max |engine - reference| = {worst:.2e}")


TESTS = [check_perplexity_json, check_perplexity_summary, check_perplexity_jsonl_and_file, check_perplexity_window,
         check_mla_forms_agree,
         check_perplexity_errors, check_bench, check_run, check_chat, check_reference_on_own_writer]


def main():
    with tempfile.TemporaryDirectory() as work:
        models = {}
        for arch in ["deepseek2", "qwen2"]:
            models[arch] = os.path.join(work, f"{arch}.gguf")
            subprocess.run([tiny_tool, "--arch", arch, models[arch]], check=True, capture_output=True)
        for test in TESTS:
            before = len(failures)
            try:
                test(models, work)
            except Exception as e:  # a crash in one test should not hide the others
                check(False, f"{test.__name__} raised {type(e).__name__}: {e}")
            print(f"{test.__name__}: {'ok' if len(failures) == before else 'FAILED'}")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("all engine CLI checks passed")


if __name__ == "__main__":
    main()
