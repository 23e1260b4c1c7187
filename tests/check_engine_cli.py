#!/usr/bin/env python3
"""End-to-end checks of the inference commands (`baleen perplexity`, `baleen bench`) on tiny random-weight models.

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


def run(*args):
    return subprocess.run([baleen, *map(str, args)], capture_output=True, text=True, timeout=300)


def run_json(*args):
    out = run(*args)
    check(out.returncode == 0, f"{' '.join(map(str, args[:1]))}: exit {out.returncode}: {out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines()] if out.returncode == 0 else []


def perplexity_json(model, text, *extra):
    got = run_json("perplexity", model, "--json", *extra, text)
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
        got = run_json("bench", model, "--json", "-p", "16", "-n", "4", "-r", "2", "-t", "1")
        if not got:
            continue
        result = got[0]
        for test in ["pp", "tg"]:
            samples = result[f"{test}_samples"]
            check(len(samples) == 2 and all(math.isfinite(s) and s > 0 for s in samples),
                  f"{arch}: bench {test} samples {samples}")
            check(math.isfinite(result[f"{test}_tokens_per_s"]) and result[f"{test}_tokens_per_s"] > 0,
                  f"{arch}: bench {test} rate")
        check(result["pp_tokens"] == 16 and result["tg_tokens"] == 4 and result["reps"] == 2 and
              result["threads"] == 1, f"{arch}: bench echo {result}")
    skipped = run_json("bench", models["qwen2"], "--json", "-p", "0", "-n", "2", "-r", "1", "-t", "1")
    check(skipped and skipped[0]["pp_samples"] == [] and len(skipped[0]["tg_samples"]) == 1, "bench -p 0")
    table = run("bench", models["qwen2"], "-p", "8", "-n", "2", "-r", "2", "-t", "1")
    check(table.returncode == 0 and "pp8" in table.stdout and "tg2" in table.stdout, f"bench table: {table.stdout}")


TESTS = [check_perplexity_json, check_perplexity_summary, check_perplexity_jsonl_and_file, check_mla_forms_agree,
         check_perplexity_errors, check_bench]


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
