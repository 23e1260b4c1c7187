#!/usr/bin/env python3
"""Check an exported model three ways on held-out problems: the trained PyTorch module (float32, the training
checkpoint), the independent reference forward pass reading the GGUF (tools/reference/model.py, float64) and
Baleen (`baleen perplexity --json`) must give the same log-probabilities; the reference's MTP block must give the
trained module's MTP logits.

  /usr/bin/python3 tools/train_tiny/check_export.py BALEEN_BIN MODEL.gguf WORK_DIR [--n 20]

WORK_DIR is the folder train.py wrote (model.pt, heldout.jsonl). Prints the largest differences; exit 1 when a
log-prob differs by more than 1e-3 or a greedy (argmax) token differs.
"""
import argparse
import json
import pathlib
import subprocess
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[0] / "reference"))
import check_tokenizer  # noqa: E402
import model as ref  # noqa: E402
import train_tokenizer as tk  # noqa: E402
import trainable  # noqa: E402

TOLERANCE = 1e-3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baleen")
    ap.add_argument("model")
    ap.add_argument("work")
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    reference = ref.ReferenceModel(args.model)
    tok = check_tokenizer.tokenizer_from_gguf(args.model)
    net = trainable.TrainableDeepseek2(reference.meta, len(tok.tokens))
    net.load_state_dict(torch.load(pathlib.Path(args.work) / "model.pt"))
    net.eval()
    rows = tk.read_jsonl(pathlib.Path(args.work) / "heldout.jsonl")[:args.n]
    worst = {"trained vs reference": 0.0, "baleen vs reference": 0.0, "MTP trained vs reference": 0.0}
    argmax_mismatch = 0
    for s in rows:
        prompt, completion = tk.render(s)
        ids = tok.encode(prompt + completion) + [tok.eos_id]
        tokens = torch.tensor(ids)
        with torch.no_grad():
            lp_ref = reference.log_probs(ids)
            logits, mtp = net(tokens[None])
            lp_net = torch.log_softmax(logits[0].double(), -1)
            mtp_ref = torch.log_softmax(reference.mtp_logits(ids), -1)
            mtp_net = torch.log_softmax(mtp[0].double(), -1)
        worst["trained vs reference"] = max(worst["trained vs reference"], float((lp_ref - lp_net).abs().max()))
        worst["MTP trained vs reference"] = max(worst["MTP trained vs reference"],
                                                float((mtp_ref - mtp_net).abs().max()))
        argmax_mismatch += int((lp_ref.argmax(-1) != lp_net.argmax(-1)).sum())
        # Baleen scores the text with BOS added; the text itself starts after our BOS.
        text = (prompt + completion)[len(tk.BOS):] + tk.EOS
        out = subprocess.run([args.baleen, "perplexity", args.model, "--json", text], check=True,
                             capture_output=True, text=True).stdout
        got = json.loads(out[:out.rindex("}") + 1])
        if got["tokens"] != ids:
            print(f"token mismatch for {s['prompt']!r}:\n  baleen {got['tokens']}\n  python {ids}")
            return 1
        want = [float(lp_ref[p, ids[p + 1]]) for p in range(len(ids) - 1)]
        diff = max(abs(a - b) for a, b in zip(got["logprobs"], want))
        worst["baleen vs reference"] = max(worst["baleen vs reference"], diff)
    for what, value in worst.items():
        print(f"{what}: max |log-prob difference| {value:.2e}")
    print(f"argmax differences trained vs reference: {argmax_mismatch}")
    bad = any(v > TOLERANCE for v in worst.values()) or argmax_mismatch
    print("FAIL" if bad else "OK")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
