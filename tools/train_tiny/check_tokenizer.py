#!/usr/bin/env python3
"""Check that this project's Python tokenizer (train_tokenizer.py) and Baleen's tokenize the same strings the same
way: the bundled model was trained on the Python encoding and Baleen encodes prompts with the real DeepSeek-V3
regexes (PCRE2), so any difference would feed the model token sequences it never saw.

  /usr/bin/python3 tools/train_tiny/check_tokenizer.py BALEEN_BIN MODEL.gguf [--hf-folder DIR] [--heldout N]
      [--random N]

Compares, for every test string, `baleen tokenize --jsonl` (special-token strings recognized) with
Tokenizer.encode and `--no-special` with Tokenizer.encode_text, on the GGUF and, with --hf-folder, on the same
tokenizer written as a Hugging Face folder (hf_tokenizer.py). Test strings: the first N held-out problems
(make_data.py, seed 1) rendered as training text, their prompts, and seeded random strings over ASCII, digits, whitespace runs and a set of non-ASCII
letters, marks, digits, punctuation, symbols and spaces. Exit 1 on any difference.
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_data  # noqa: E402
import train_tokenizer as tk  # noqa: E402

sys.path.insert(0, str(HERE.parents[0] / "reference"))
import gguf_io  # noqa: E402

ALPHABET = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") * 3 +
            list(" \n\t\r!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") * 2 +
            ["  ", "\n\n", " \n", "\r\n", "×", "é", "ß", "Ω", "ж", "中", "文", "あ", "カ", "한", "٣", "²", "½", "Ⅻ",
             "\u0301", "\u00a0", "\u2003", "\u3000", "\u0085", "\u2028", "\x0b", "\x0c", "\x1c", "—", "“", "”", "€",
             "😀", "→", "∑", "°", "·", "\u200b", "<think>", "</think>", tk.USER, tk.EOS])


def random_strings(n, seed=7):
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def baleen_tokenize(baleen, model, texts, no_special):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
        path = f.name
    cmd = [baleen, "tokenize", str(model), "--jsonl", path] + (["--no-special"] if no_special else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    pathlib.Path(path).unlink()
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def tokenizer_from_gguf(path):
    meta = gguf_io.read_gguf(path).meta
    merges = [m.split(" ") for m in meta["tokenizer.ggml.merges"]]
    return tk.Tokenizer(meta["tokenizer.ggml.tokens"], merges)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baleen")
    ap.add_argument("model")
    ap.add_argument("--hf-folder", help="the same tokenizer as a Hugging Face folder, checked too")
    ap.add_argument("--heldout", type=int, default=1000, help="held-out problems to include")
    ap.add_argument("--random", type=int, default=3000)
    args = ap.parse_args(argv)
    tok = tokenizer_from_gguf(args.model)
    texts = random_strings(args.random)
    for s in make_data.heldout_problems(1, args.heldout):
        prompt, completion = tk.render(s)
        texts += [s["prompt"], prompt + completion + tk.EOS, completion]
    failures, compared = 0, 0
    for source in [args.model] + ([args.hf_folder] if args.hf_folder else []):
        for no_special in (False, True):
            got = baleen_tokenize(args.baleen, source, texts, no_special)
            assert len(got) == len(texts), (len(got), len(texts))
            compared += len(texts)
            for text, ids in zip(texts, got):
                want = tok.encode_text(text) if no_special else tok.encode(text)
                if ids != want:
                    failures += 1
                    if failures <= 10:
                        print(f"MISMATCH ({source}, {'--no-special' if no_special else 'special'}) {text!r}\n"
                              f"  baleen {ids}\n  python {want}\n"
                              f"  pieces {tk.pre_tokenize(text)}")
    print(f"{compared} encodings compared, {failures} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
