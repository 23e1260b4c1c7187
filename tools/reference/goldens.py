"""Golden log-probabilities of the reference forward pass (model.py) for the 15 tiny models, and a one-file CLI.

  goldens.py --models DIR --out tests/data/reference/goldens.json     compute and write the goldens
  goldens.py --models DIR --check tests/data/reference/goldens.json   recompute, compare (exit 1 on mismatch)
  goldens.py logprobs --gguf FILE --tokens 256,1,2 [--all-positions] [--top K] [--mla naive] [--dtype float32]
                                                                      print one file's log-probs as JSON

DIR holds the files written by make_models.py. Both the write and check commands also run the self-checks: naive and
absorbed MLA agree (max |diff| < 1e-9) for every deepseek2 file, and llama's two RoPE readings agree (HF order with
NeoX pairs after un-permuting q/k == llama.cpp NORM pairs on the permuted GGUF rows).
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import model as ref  # noqa: E402

VARIANTS = ("deepseek2-v3", "deepseek2-v2lite", "qwen2", "llama", "qwen3")
TYPES = ("f32", "q8_0", "q4_k")
VOCAB, BOS = 288, 256
PROMPT_LENGTHS = (1, 7, 24, 50)
PROMPT_SEED = 20250611
TOP_K = 10
DIGITS = 6
TOLERANCE = 1e-5       # --check: max abs log-prob difference
SELF_CHECK_TOL = 1e-9  # naive vs absorbed MLA, llama rope readings (float64)


def make_prompts():
    """Deterministic prompts; all but the first start with BOS (the first tests a lone non-BOS token at position 0)."""
    rs = np.random.RandomState(PROMPT_SEED)
    prompts = []
    for i, n in enumerate(PROMPT_LENGTHS):
        body = [int(t) for t in rs.randint(0, VOCAB, size=n)]
        prompts.append(body if i == 0 else [BOS] + body[1:])
    return prompts


def rounded(values):
    return [round(float(v), DIGITS) for v in values]


def result_for(lp, tokens, prompt_index=None, digits=True, top=TOP_K):
    """Goldens record from log-probs lp [T, V] (float64) of `tokens`."""
    fmt = rounded if digits else (lambda vs: [float(v) for v in vs])
    values, ids = lp.topk(min(top, lp.shape[1]), dim=-1)  # sorted, best first
    out = {} if prompt_index is None else {"prompt": prompt_index}
    out["top_ids"] = [[int(i) for i in row] for row in ids]
    out["top_logprobs"] = [fmt(row) for row in values]
    out["next_logprobs"] = fmt([lp[p, tokens[p + 1]] for p in range(len(tokens) - 1)])
    out["last_logprobs"] = fmt(lp[-1])
    return out


def self_checks(m, prompts):
    """Alternative but equivalent formulations must agree to float64 rounding. Returns (what, max diff) or None."""
    if m.arch == "deepseek2":
        what, alt = "naive==absorbed MLA", dict(mla="naive")
    elif m.arch == "llama":
        what, alt = "llama HF-order NeoX==GGUF-order NORM rope", dict(llama_rope="gguf")
    else:
        return None
    diff = max(float((m.log_probs(p) - m.log_probs(p, **alt)).abs().max()) for p in prompts)
    return what, diff


def stats(lps):
    """Entropy range and top-1 margin stats over all positions of all prompts (sanity of the random models)."""
    lp = torch.cat(lps)
    entropy = -(lp.exp() * lp).sum(-1)
    top2 = lp.topk(2, dim=-1)[0]
    margin = top2[:, 0] - top2[:, 1]
    return (f"entropy {entropy.min():.2f}..{entropy.max():.2f} nats, top-1 margin median {margin.median():.3f} "
            f"min {margin.min():.2g}")


def compute_all(models_dir, prompts):
    """Returns (goldens 'models' list, {file: full log-prob tensors per prompt}, self-check failures)."""
    models, full, failures = [], {}, []
    for variant in VARIANTS:
        f32_lps = None
        for type_name in TYPES:
            name = f"{variant}.{type_name}.gguf"
            path = pathlib.Path(models_dir) / name
            if not path.exists():
                sys.exit(f"missing {path}: run tools/reference/make_models.py --out {models_dir} first")
            start = time.time()
            m = ref.ReferenceModel(path)
            if m.arch == "deepseek2":
                m.route_gaps = []
            lps = [m.log_probs(p) for p in prompts]
            full[name] = lps
            models.append({"file": name, "variant": variant, "type": type_name, "sha256": m.file.sha256,
                           "results": [result_for(lp, p, i) for i, (p, lp) in enumerate(zip(prompts, lps))]})
            line = f"{name:30s} {stats(lps)}"
            if getattr(m, "route_gaps", None):
                line += f", min routing gap {min(m.route_gaps):.1e}"
                m.route_gaps = None
            # How far a float32 evaluation of the same weights drifts: a hint for engine-side tolerances.
            m32 = ref.ReferenceModel(path, dtype=torch.float32)
            drift = max(float((m32.log_probs(p).double() - lp).abs().max()) for p, lp in zip(prompts, lps))
            line += f", float32 drift {drift:.1e}"
            if f32_lps is None:
                f32_lps = lps
            else:
                line += f", vs f32 file max {max(float((a - b).abs().max()) for a, b in zip(lps, f32_lps)):.2f}"
            check = self_checks(m, prompts)
            if check:
                what, diff = check
                ok = diff < SELF_CHECK_TOL
                line += f", {what}: {diff:.1e} {'ok' if ok else 'FAIL'}"
                if not ok:
                    failures.append(f"{name}: {what} differs by {diff:.3g}")
            print(f"{line} ({time.time() - start:.1f} s)")
    return models, full, failures


def write_json(path, goldens):
    """Compact but line-oriented JSON: one line per prompt result, so diffs stay readable."""
    dump = lambda v: json.dumps(v, separators=(",", ":"))  # noqa: E731
    lines = ['{"format": %d,' % goldens["format"], ' "prompts": %s,' % dump(goldens["prompts"]), ' "models": [']
    for i, m in enumerate(goldens["models"]):
        head = {k: m[k] for k in ("file", "variant", "type", "sha256")}
        lines.append("  " + dump(head)[:-1] + ', "results": [')
        for j, r in enumerate(m["results"]):
            lines.append("   " + dump(r) + ("," if j + 1 < len(m["results"]) else ""))
        lines.append("  ]}" + ("," if i + 1 < len(goldens["models"]) else ""))
    lines.append(" ]}")
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def compare(committed, prompts, models, full):
    """Differences between a committed goldens file and fresh results. Returns (problems, max abs diff)."""
    problems, worst = [], 0.0
    if committed.get("format") != 1:
        problems.append(f"format {committed.get('format')} != 1")
    if committed.get("prompts") != prompts:
        problems.append("prompts differ")
        return problems, worst
    old = {m["file"]: m for m in committed.get("models", [])}
    if set(old) != {m["file"] for m in models}:
        problems.append(f"model lists differ: {sorted(set(old) ^ {m['file'] for m in models})}")
    for new in models:
        o = old.get(new["file"])
        if o is None:
            continue
        if o["sha256"] != new["sha256"]:
            problems.append(f"{new['file']}: sha256 {new['sha256']} != committed {o['sha256']}")
        for key in ("variant", "type"):
            if o[key] != new[key]:
                problems.append(f"{new['file']}: {key} {new[key]} != committed {o[key]}")
        for i, (ro, rn) in enumerate(zip(o["results"], new["results"])):
            lp = full[new["file"]][i]
            for key in ("top_logprobs", "next_logprobs", "last_logprobs"):
                a, b = np.array(ro[key], dtype=np.float64), np.array(rn[key], dtype=np.float64)
                if a.shape != b.shape:
                    problems.append(f"{new['file']} prompt {i}: {key} shape {a.shape} != {b.shape}")
                    continue
                d = float(np.abs(a - b).max()) if a.size else 0.0
                worst = max(worst, d)
                if d > TOLERANCE:
                    problems.append(f"{new['file']} prompt {i}: {key} max diff {d:.3g}")
            # Top ids: tolerant to near-ties. The committed ids must carry the committed values and be a top-k set.
            for p, (ids, vals) in enumerate(zip(ro["top_ids"], ro["top_logprobs"])):
                got = lp[p, ids]
                others = lp[p].clone()
                others[ids] = float("-inf")
                if float((got - torch.tensor(vals, dtype=torch.float64)).abs().max()) > TOLERANCE or \
                        float(got.min()) < float(others.max()) - TOLERANCE:
                    problems.append(f"{new['file']} prompt {i} position {p}: top ids {ids} are not the top-{len(ids)}")
    return problems, worst


def cmd_logprobs(argv):
    ap = argparse.ArgumentParser(prog="goldens.py logprobs", description="log-probs of one GGUF as JSON")
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--all-positions", action="store_true", help="also print the full log-softmax at every position")
    ap.add_argument("--top", type=int, default=TOP_K)
    ap.add_argument("--mla", choices=("absorbed", "naive"), default="absorbed")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    args = ap.parse_args(argv)
    tokens = [int(t) for t in args.tokens.split(",") if t.strip()]
    m = ref.ReferenceModel(args.gguf, dtype=getattr(torch, args.dtype))
    n_vocab = m.w("token_embd.weight").shape[0]
    if not tokens or min(tokens) < 0 or max(tokens) >= n_vocab:
        sys.exit(f"tokens must be non-empty ids in [0, {n_vocab})")
    lp = m.log_probs(tokens, mla=args.mla).double()
    out = {"file": str(args.gguf), "sha256": m.file.sha256, "architecture": m.arch, "tokens": tokens}
    out.update(result_for(lp, tokens, digits=False, top=args.top))
    if args.all_positions:
        out["logprobs"] = [[float(v) for v in row] for row in lp]
    print(json.dumps(out))
    return 0


def main(argv):
    if argv and argv[0] == "logprobs":
        return cmd_logprobs(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", required=True, help="directory written by make_models.py")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", help="write goldens JSON here")
    group.add_argument("--check", help="compare with this committed goldens JSON")
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, min(8, torch.get_num_threads())))
    start = time.time()
    prompts = make_prompts()
    models, full, failures = compute_all(args.models, prompts)
    goldens = {"format": 1, "prompts": prompts, "models": models}
    for f in failures:
        print(f"SELF-CHECK FAILED: {f}")
    if args.out:
        write_json(args.out, goldens)
        size = pathlib.Path(args.out).stat().st_size
        print(f"wrote {args.out} ({size} bytes, {len(models)} models) in {time.time() - start:.1f} s")
        return 1 if failures else 0
    committed = json.loads(pathlib.Path(args.check).read_text())
    problems, worst = compare(committed, prompts, models, full)
    for p in problems[:50]:
        print(f"MISMATCH: {p}")
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more")
    status = "FAIL" if problems or failures else "OK"
    print(f"check {status}: {len(models)} models, max |log-prob diff| {worst:.2g} (tolerance {TOLERANCE}), "
          f"{len(problems)} mismatches, {len(failures)} self-check failures, {time.time() - start:.1f} s")
    return 1 if problems or failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
