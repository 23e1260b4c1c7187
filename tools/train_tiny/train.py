#!/usr/bin/env python3
"""Train the bundled tiny DeepSeek-V3-architecture reasoning model from scratch and write it as a GGUF.

  /usr/bin/python3 tools/train_tiny/train.py --out models/baleen-tiny-r1.gguf

One command, fixed seed: data (make_data.py) -> tokenizer (train_tokenizer.py) -> training (the deepseek2 module of
tools/reference/trainable.py, main next-token loss + 0.3 x MTP next-next-token loss, on the assistant part only,
with DeepSeek-V3's auxiliary-loss-free expert balancing) -> GGUF export (export.py), plus the tokenizer as a
Hugging Face folder OUT-STEM-tokenizer/ (hf_tokenizer.py). Intermediate files go to --work (default: a folder next
to --out). The accuracy is then measured through Baleen with evaluate.py.
"""
import argparse
import json
import math
import os
import pathlib
import random
import sys
import time

# Two cores: OpenBLAS runs the matrix products on 2 threads, PyTorch's own ops run on 1. Measured per step on this
# model: 0.38 s this way, 0.58 s with 2 PyTorch threads and 1 BLAS thread; 2 + 2 thread pools fight each other
# and stalled for seconds when other jobs were running. OpenMP threads sleep rather than spin when idle.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[0] / "reference"))
import export  # noqa: E402
import hf_tokenizer  # noqa: E402
import make_data  # noqa: E402
import train_tokenizer as tk  # noqa: E402
import trainable  # noqa: E402

# Training hyperparameters (the architecture lives in export.py: ARCH).
TRAIN = dict(
    seed=1,
    n_train=260000,       # generated training problems (about one pass)
    n_heldout=1000,       # held-out problems (separate seed, never trained on)
    steps=6000,
    batch_tokens=4096,    # padded tokens per step (batches hold problems of similar length)
    lr=3e-3,
    min_lr_ratio=0.05,
    warmup=150,
    weight_decay=0.01,
    betas=(0.9, 0.98),
    clip=1.0,
    mtp_weight=0.3,       # weight of the MTP (next-next-token) loss
    bias_gamma=1e-3,      # aux-loss-free balancing: bias update speed (DeepSeek-V3 uses 0.001)
    threads=1,            # PyTorch intra-op threads (the BLAS threads are set above)
)


def encode_sample(tok, sample):
    """Token ids and the index where the completion (the trained part) starts. Prompt and completion are
    tokenized apart, as an engine does (prompt first, then the generated tokens), and must agree with the
    tokenization of the whole text."""
    prompt, completion = tk.render(sample)
    p, c = tok.encode(prompt), tok.encode(completion) + [tok.eos_id]
    return p + c, len(p)


def make_batches(encoded, batch_tokens, rng):
    """Shuffle, then group problems of similar length so padding stays small; returns a list of index lists."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    batches = []
    chunk = 8 * max(1, batch_tokens // 80)  # about 8 batches: similar lengths, still mixed task types
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(encoded[i][0]))
        batch = []
        for i in part:
            longest = max(len(encoded[j][0]) for j in batch + [i])
            if batch and longest * (len(batch) + 1) > batch_tokens:
                batches.append(batch)
                batch = []
            batch.append(i)
        if batch:
            batches.append(batch)
    rng.shuffle(batches)
    return batches


def collate(encoded, batch, pad_id):
    """tokens [B, T] (right-padded) and loss mask [B, T]: 1 where the token is part of a completion."""
    T = max(len(encoded[i][0]) for i in batch)
    tokens = torch.full((len(batch), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), T))
    for r, i in enumerate(batch):
        ids, start = encoded[i]
        tokens[r, :len(ids)] = torch.tensor(ids)
        mask[r, start:len(ids)] = 1.0
    return tokens, mask


def losses(net, tokens, mask):
    """Main loss: token t+1 from position t; MTP loss: token t+2 from position t; both only on completion
    targets."""
    logits, mtp = net(tokens)
    V = logits.shape[-1]
    m1 = mask[:, 1:]
    ce = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1),
                                           reduction="none").view_as(m1)
    main = (ce * m1).sum() / m1.sum()
    if mtp is None:
        return main, None
    m2 = mask[:, 2:]
    ce2 = torch.nn.functional.cross_entropy(mtp[:, :-1].reshape(-1, V), tokens[:, 2:].reshape(-1),
                                            reduction="none").view_as(m2)
    return main, (ce2 * m2).sum() / m2.sum()


@torch.no_grad()
def teacher_forced(net, encoded, types, pad_id, batch_tokens=8192):
    """Held-out check without decoding: per task type, the fraction of problems whose whole completion is the
    argmax at every step under teacher forcing (greedy decoding then reproduces it exactly) and the fraction of
    completion tokens mispredicted; plus the MTP head's top-1 accuracy on completion tokens."""
    net.eval()
    exact, errors, tokens_seen = {}, {}, {}
    mtp_hit, mtp_total = 0, 0
    for batch in make_batches(encoded, batch_tokens, random.Random(0)):
        tokens, mask = collate(encoded, batch, pad_id)
        logits, mtp = net(tokens)
        wrong = (logits[:, :-1].argmax(-1) != tokens[:, 1:]) & (mask[:, 1:] > 0)
        for row, i in enumerate(batch):
            t = types[i]
            exact[t] = exact.get(t, 0) + int(not wrong[row].any())
            errors[t] = errors.get(t, 0) + int(wrong[row].sum())
            tokens_seen[t] = tokens_seen.get(t, 0) + int(mask[row, 1:].sum())
        if mtp is not None:
            m2 = mask[:, 2:] > 0
            mtp_hit += int(((mtp[:, :-1].argmax(-1) == tokens[:, 2:]) & m2).sum())
            mtp_total += int(m2.sum())
    net.train()
    counts = {t: types.count(t) for t in exact}
    report = {t: (exact[t] / counts[t], errors[t] / tokens_seen[t]) for t in sorted(exact)}
    overall = sum(exact.values()) / len(encoded)
    return overall, report, (mtp_hit / mtp_total if mtp_total else float("nan"))


def format_check(result):
    overall, report, mtp_acc = result
    per_type = ", ".join(f"{t} {e:.3f} ({err:.4f})" for t, (e, err) in report.items())
    return f"teacher-forced exact {overall:.3f} [{per_type}]; MTP top-1 {mtp_acc:.3f}"


def blas_library():
    """The BLAS shared library PyTorch loaded (Debian: netlib's reference BLAS unless OpenBLAS is installed)."""
    for line in pathlib.Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "blas" in path and ".so" in path:
            return os.path.realpath(path)
    return "unknown"


def lr_at(step, cfg):
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    progress = (step - cfg["warmup"]) / max(1, cfg["steps"] - cfg["warmup"])
    return cfg["lr"] * (cfg["min_lr_ratio"] + (1 - cfg["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * progress)))


def train(net, encoded, heldout, heldout_types, cfg, log, checkpoint):
    pad_id = cfg["pad_id"]
    decay = [p for n, p in net.named_parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for n, p in net.named_parameters() if p.requires_grad and p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg["lr"], betas=cfg["betas"])
    rng = random.Random(f"batches-{cfg['seed']}")
    batches, step, start = [], 0, time.time()
    net.expert_counts = {}
    while step < cfg["steps"]:
        if not batches:
            batches = make_batches(encoded, cfg["batch_tokens"], rng)
        tokens, mask = collate(encoded, batches.pop(), pad_id)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        main, mtp = losses(net, tokens, mask)
        loss = main if mtp is None else main + cfg["mtp_weight"] * mtp
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg["clip"])
        opt.step()
        net.update_expert_bias(cfg["bias_gamma"])
        step += 1
        if step % 50 == 0 or step == cfg["steps"]:
            log(f"step {step}/{cfg['steps']}  loss {main.item():.4f}  mtp {mtp.item() if mtp is not None else 0:.4f}"
                f"  lr {lr_at(step, cfg):.2e}  {time.time() - start:.0f} s")
        if cfg.get("eval_every") and step % cfg["eval_every"] == 0:
            net.expert_counts = None
            log("  held-out " + format_check(teacher_forced(net, heldout, heldout_types, pad_id)))
            net.expert_counts = {}
            torch.save(net.state_dict(), checkpoint)
    net.expert_counts = None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="GGUF file to write")
    ap.add_argument("--work", help="folder for data, tokenizer and checkpoint (default: OUT's name + '.work')")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a TRAIN or ARCH value (experiments), e.g. --set steps=500 --set dim=96")
    ap.add_argument("--eval-every", type=int, default=1000, help="teacher-forced held-out check every N steps")
    args = ap.parse_args(argv)
    cfg, arch = dict(TRAIN), dict(export.ARCH)
    for item in args.set:
        k, v = item.split("=", 1)
        target = cfg if k in cfg else arch if k in arch else None
        if target is None:
            raise SystemExit(f"unknown setting {k}")
        target[k] = type(target[k])(v) if not isinstance(target[k], tuple) else tuple(json.loads(v))
    cfg["eval_every"] = args.eval_every
    out = pathlib.Path(args.out)
    work = pathlib.Path(args.work) if args.work else out.with_name(out.name + ".work")
    work.mkdir(parents=True, exist_ok=True)
    log_file = open(work / "train.log", "w")

    def log(msg):
        print(msg, flush=True)
        log_file.write(msg + "\n")
        log_file.flush()

    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    log(f"settings: {json.dumps(cfg)}\narchitecture: {json.dumps(arch)}")
    blas = blas_library()
    log(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas}")
    if "openblas" not in blas:
        log("warning: PyTorch is not using OpenBLAS; Debian's reference BLAS makes training about 5x slower "
            "(apt-get install libopenblas0-pthread)")

    make_data.write_dataset(work, cfg["n_train"], cfg["n_heldout"], cfg["seed"])
    train_rows, heldout_rows = tk.read_jsonl(work / "train.jsonl"), tk.read_jsonl(work / "heldout.jsonl")
    t1 = time.time()
    log(f"data: {len(train_rows)} training, {len(heldout_rows)} held-out problems ({t1 - t0:.0f} s)")

    tok = tk.build_tokenizer(train_rows[:50000], arch["vocab_size"])
    (work / "tokenizer.json").write_text(json.dumps(tok.to_json(), ensure_ascii=False))
    encoded = [encode_sample(tok, s) for s in train_rows]
    heldout = [encode_sample(tok, s) for s in heldout_rows]
    for s, (ids, _) in zip(heldout_rows[:200], heldout[:200]):
        prompt, completion = tk.render(s)
        assert tok.encode(prompt + completion) + [tok.eos_id] == ids, s  # piecewise == whole
    t2 = time.time()
    n_tok = sum(len(ids) for ids, _ in encoded)
    log(f"tokenizer: {len(tok.merges)} merges, vocabulary {len(tok.tokens)}; {n_tok} training tokens, "
        f"{n_tok / len(encoded):.1f} per problem ({t2 - t1:.0f} s)")

    cfg["pad_id"] = tok.eos_id
    meta = export.model_metadata(arch)
    net = trainable.TrainableDeepseek2(meta, arch["vocab_size"], seed=cfg["seed"])
    n_params, n_active = export.parameter_counts(net, arch)
    log(f"model: {n_params} parameters ({n_active} activated per token in the main model)")
    train(net, encoded, heldout, [s["type"] for s in heldout_rows], cfg, log, work / "model.pt")
    t3 = time.time()
    log(f"training: {t3 - t2:.0f} s")
    torch.save(net.state_dict(), work / "model.pt")
    log("held-out " + format_check(teacher_forced(net, heldout, [s["type"] for s in heldout_rows], cfg["pad_id"])))
    t3 = time.time()

    export.write_gguf(out, net, tok, arch, meta, cfg)
    hf_folder = out.with_name(out.stem + "-tokenizer")
    hf_tokenizer.write_folder(hf_folder, tok, export.CHAT_TEMPLATE.read_text(encoding="utf-8"))
    t4 = time.time()
    log(f"export: {out} ({out.stat().st_size} bytes) and {hf_folder}/ ({t4 - t3:.0f} s)")
    log(f"total wall time {t4 - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
