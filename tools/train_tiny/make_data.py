#!/usr/bin/env python3
"""Seeded synthetic reasoning data for the bundled tiny model (issue 6): arithmetic and counting problems answered in
DeepSeek-R1's format, `<think>\\n…steps…\\n</think>\\n\\nanswer`. Nothing is downloaded.

  /usr/bin/python3 tools/train_tiny/make_data.py --out DIR [--train 200000] [--heldout 1000] [--seed 1]

writes DIR/train.jsonl and DIR/heldout.jsonl, one {"type", "prompt", "reasoning", "answer"} object per line. The
held-out problems come from a different seed and never appear in the training set (checked). Every answer is
verified against Python's own arithmetic before it is written.
"""
import argparse
import json
import pathlib
import random

# Pseudo-words for the counting task: syllables from a fixed list, so no word list is needed.
SYLLABLES = ["ba", "ce", "di", "fo", "gu", "ha", "ke", "li", "mo", "nu", "pa", "re", "si", "to", "vu", "wa", "ye",
             "zo", "str", "an", "el", "in", "or", "ur", "ss", "rr", "ll", "ee", "oo"]


def number(rng, max_digits):
    digits = rng.randint(1, max_digits)
    return rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10 ** digits - 1)


def add(rng):
    a, b = number(rng, 4), number(rng, 4)
    da, db = str(a)[::-1], str(b)[::-1]
    steps, carry, out = ["Add the digits from the right."], 0, []
    for i in range(max(len(da), len(db))):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        s = x + y + carry
        terms = f"{x}+{y}" + (f"+{carry}" if carry else "")
        steps.append(f"{terms}={s}, write {s % 10}" + (", carry 1" if s >= 10 else ""))
        carry = s // 10
        out.append(str(s % 10))
    if carry:
        steps.append("write the last carry 1")
        out.append("1")
    result = int("".join(reversed(out)))
    steps.append(f"So {a}+{b}={result}.")
    return f"What is {a} + {b}?", steps, str(result), a + b


def subtract(rng):
    a, b = number(rng, 4), number(rng, 4)
    big, small = max(a, b), min(a, b)
    steps = [] if a >= b else [f"{a} is smaller than {b}, so compute {b}-{a} and make it negative."]
    steps.append("Subtract the digits from the right.")
    db, ds = str(big)[::-1], str(small)[::-1]
    borrow, out = 0, []
    for i in range(len(db)):
        x, y = int(db[i]), int(ds[i]) if i < len(ds) else 0
        expr = f"{x}-1-{y}" if borrow else f"{x}-{y}"  # the previous column's borrow comes off this digit
        value = x - borrow - y
        if value < 0:
            steps.append(f"{expr} needs a borrow: 10+{expr}={value + 10}")
            out.append(str(value + 10))
            borrow = 1
        else:
            steps.append(f"{expr}={value}")
            out.append(str(value))
            borrow = 0
    diff = int("".join(reversed(out)))
    result = diff if a >= b else -diff
    steps.append(f"So {a}-{b}={result}.")
    return f"What is {a} - {b}?", steps, str(result), a - b


def multiply(rng):
    a, d = number(rng, 4), rng.randint(2, 9)
    steps, carry, out = [f"Multiply each digit of {a} by {d}, from the right."], 0, []
    digits = str(a)[::-1]
    for i, ch in enumerate(digits):
        p = int(ch) * d + carry
        terms = f"{ch}×{d}" + (f"+{carry}" if carry else "")
        last = i == len(digits) - 1
        steps.append(f"{terms}={p}, write {p if last else p % 10}" + ("" if last or p < 10 else f", carry {p // 10}"))
        out.append(str(p) if last else str(p % 10))
        carry = p // 10
    result = int("".join(reversed(out)))
    steps.append(f"So {a}×{d}={result}.")
    return f"What is {a} × {d}?", steps, str(result), a * d


def compare(rng):
    a = number(rng, 4)
    b = a + rng.choice([-1, 1]) * rng.randint(1, 50) if rng.random() < 0.5 else number(rng, 4)
    b = max(b, 0)
    if a == b:
        b += 1
    steps = []
    if len(str(a)) != len(str(b)):
        longer = a if len(str(a)) > len(str(b)) else b
        steps.append(f"{a} has {len(str(a))} digits and {b} has {len(str(b))}; {longer} has more digits.")
    else:
        n = len(str(a))
        steps.append(f"Both have {n} digit{'s' if n != 1 else ''}; compare from the left.")
        for x, y in zip(str(a), str(b)):
            if x == y:
                steps.append(f"{x} and {y} are equal")
            else:
                steps.append(f"{x} and {y} differ: {max(x, y)} is larger")
                break
    larger = max(a, b)
    steps.append(f"So {larger} is larger.")
    return f"Which is larger, {a} or {b}?", steps, str(larger), max(a, b)


def count(rng):
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    letter = rng.choice(word) if rng.random() < 0.85 else rng.choice("abcdefghijklmnopqrstuvwxyz")
    steps, seen = [f"Go through {word} letter by letter, counting {letter}."], 0
    for ch in word:
        if ch == letter:
            seen += 1
            steps.append(f"{ch}: yes, {seen}")
        else:
            steps.append(f"{ch}: no")
    steps.append(f"So {letter} appears {seen} time{'s' if seen != 1 else ''}.")
    return f"How many times does the letter {letter} appear in {word}?", steps, str(seen), word.count(letter)


TASKS = {"add": add, "subtract": subtract, "multiply": multiply, "compare": compare, "count": count}


def problem(rng):
    kind = rng.choice(sorted(TASKS))
    prompt, steps, answer, truth = TASKS[kind](rng)
    if answer != str(truth):  # the worked steps must reach Python's answer
        raise AssertionError(f"{kind}: {prompt} -> {answer}, expected {truth}")
    return {"type": kind, "prompt": prompt, "reasoning": "\n".join(steps), "answer": answer}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--train", type=int, default=200000)
    parser.add_argument("--heldout", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    heldout_rng = random.Random(f"heldout-{args.seed}")
    heldout, prompts = [], set()
    while len(heldout) < args.heldout:
        p = problem(heldout_rng)
        if p["prompt"] not in prompts:
            prompts.add(p["prompt"])
            heldout.append(p)
    train_rng = random.Random(f"train-{args.seed}")
    with open(out / "train.jsonl", "w") as f:
        written = 0
        while written < args.train:
            p = problem(train_rng)
            if p["prompt"] in prompts:  # never train on a held-out problem
                continue
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
            written += 1
    with open(out / "heldout.jsonl", "w") as f:
        for p in heldout:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"wrote {args.train} training and {args.heldout} held-out problems to {out}")


if __name__ == "__main__":
    main()
