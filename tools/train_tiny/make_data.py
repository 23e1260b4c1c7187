#!/usr/bin/env python3
"""Seeded synthetic reasoning data for the bundled tiny model (issue 6): arithmetic and counting problems answered in
DeepSeek-R1's format, `<think>\\n…steps…\\n</think>\\n\\nanswer`. Nothing is downloaded.

  /usr/bin/python3 tools/train_tiny/make_data.py --out DIR [--train 200000] [--heldout 1000] [--seed 1]

writes DIR/train.jsonl and DIR/heldout.jsonl, one {"type", "prompt", "reasoning", "answer"} object per line. The
held-out problems come from a different seed and never appear in the training set (checked). Every answer is
verified against Python's own arithmetic before it is written.

The worked steps are written for a small transformer: every step only needs what is at the start or the end of the
line above it. A line restates what is left to do (the numbers without the digits already used, or the rest of
the word), works on its last (or first) digit, and carries the result so far, so nothing is looked up by position:
  4821+367: 1+7=8, so far 8
  482+36: 2+6=8, so far 88
  48+3: 8+3=11, so far 188
  4+0: 4+0+1=5, so far 5188
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


def rest(digits):
    """What is left of a number once its last digit is used: '0' when nothing is left."""
    return digits[:-1] or "0"


def add(rng):
    a, b = number(rng, 4), number(rng, 4)
    sa, sb, steps, carry, so_far = str(a), str(b), [], 0, ""
    while True:
        x, y = int(sa[-1]), int(sb[-1])
        s = x + y + carry
        so_far = str(s % 10) + so_far
        steps.append(f"{sa}+{sb}: {x}+{y}" + ("+1" if carry else "") + f"={s}, so far {so_far}")
        carry = s // 10
        if len(sa) == 1 and len(sb) == 1:
            break
        sa, sb = rest(sa), rest(sb)
    if carry:
        so_far = "1" + so_far
        steps.append(f"carry 1, so far {so_far}")
    steps.append(f"So {a}+{b}={int(so_far)}.")
    return f"What is {a} + {b}?", steps, str(int(so_far)), a + b


def compare_steps(a, b):
    """Steps deciding which of a != b is larger: by digit count, else digit by digit from the left."""
    sa, sb = str(a), str(b)
    if len(sa) != len(sb):
        larger = a if len(sa) > len(sb) else b
        return [f"{a} has {len(sa)} digit{'s' if len(sa) > 1 else ''} and {b} has {len(sb)}, so {larger} is larger."]
    steps = [f"Both have {len(sa)} digit{'s' if len(sa) > 1 else ''}; compare from the left."]
    while sa[0] == sb[0]:
        steps.append(f"{sa} vs {sb}: {sa[0]} and {sb[0]} are equal")
        sa, sb = sa[1:], sb[1:]
    steps.append(f"{sa} vs {sb}: {sa[0]} and {sb[0]} differ, {max(sa[0], sb[0])} is larger")
    steps.append(f"So {max(a, b)} is larger.")
    return steps


def subtract(rng):
    a, b = number(rng, 4), number(rng, 4)
    if a == b:
        return f"What is {a} - {b}?", [f"{a} and {b} are equal, so the difference is 0."], "0", 0
    steps = compare_steps(a, b)
    big, small = max(a, b), min(a, b)
    steps.append(f"Compute {big}-{small}" + (" and make it negative." if a < b else "."))
    sa, sb, borrow, so_far = str(big), str(small), 0, ""
    while True:
        x, y = int(sa[-1]), int(sb[-1])
        expr = f"{x}-1-{y}" if borrow else f"{x}-{y}"
        d = x - borrow - y
        if d < 0:
            so_far = str(d + 10) + so_far
            steps.append(f"{sa}-{sb}: {expr} needs a borrow, 1{expr}={d + 10}, so far {so_far}")
            borrow = 1
        else:
            so_far = str(d) + so_far
            steps.append(f"{sa}-{sb}: {expr}={d}, so far {so_far}")
            borrow = 0
        if len(sa) == 1:
            break
        sa, sb = rest(sa), rest(sb)
    diff = int(so_far)
    if str(diff) != so_far:
        steps.append(f"Without the leading zeros: {diff}")
    result = diff if a >= b else -diff
    steps.append(f"So {a}-{b}={result}.")
    return f"What is {a} - {b}?", steps, str(result), a - b


def multiply(rng):
    a, d = number(rng, 4), rng.randint(2, 9)
    op = rng.choice(["×", "*"])
    sa, steps, carry, so_far = str(a), [], 0, ""
    while True:
        x = int(sa[-1])
        p = x * d + carry
        so_far = str(p % 10) + so_far
        steps.append(f"{sa}{op}{d}: {x}{op}{d}" + (f"+{carry}" if carry else "") + f"={p}, so far {so_far}")
        carry = p // 10
        if len(sa) == 1:
            break
        sa = sa[:-1]
    if carry:
        so_far = str(carry) + so_far
        steps.append(f"carry {carry}, so far {so_far}")
    steps.append(f"So {a}{op}{d}={int(so_far)}.")
    return f"What is {a} {op} {d}?", steps, str(int(so_far)), a * d


def compare(rng):
    a = number(rng, 4)
    b = a + rng.choice([-1, 1]) * rng.randint(1, 50) if rng.random() < 0.5 else number(rng, 4)
    b = max(b, 0)
    if a == b:
        b += 1
    return f"Which is larger, {a} or {b}?", compare_steps(a, b), str(max(a, b)), max(a, b)


def count(rng):
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    letter = rng.choice(word) if rng.random() < 0.85 else rng.choice("abcdefghijklmnopqrstuvwxyz")
    steps, seen, left = [f"Count {letter} in {word}, one letter at a time."], 0, word
    while left:
        if left[0] == letter:
            seen += 1
            steps.append(f"{left}: {left[0]} is {letter}, {seen}")
        else:
            steps.append(f"{left}: {left[0]}")
        left = left[1:]
    steps.append(f"So {letter} appears {seen} time{'s' if seen != 1 else ''}.")
    return f"How many times does the letter {letter} appear in {word}?", steps, str(seen), word.count(letter)


TASKS = {"add": add, "subtract": subtract, "multiply": multiply, "compare": compare, "count": count}


def problem(rng):
    kind = rng.choice(sorted(TASKS))
    prompt, steps, answer, truth = TASKS[kind](rng)
    if answer != str(truth):  # the worked steps must reach Python's answer
        raise AssertionError(f"{kind}: {prompt} -> {answer}, expected {truth}")
    return {"type": kind, "prompt": prompt, "reasoning": "\n".join(steps), "answer": answer}


def heldout_problems(seed, n):
    """The held-out problems: their own seeded stream, no duplicate prompts; a prefix of a longer set."""
    rng = random.Random(f"heldout-{seed}")
    heldout, prompts = [], set()
    while len(heldout) < n:
        p = problem(rng)
        if p["prompt"] not in prompts:
            prompts.add(p["prompt"])
            heldout.append(p)
    return heldout


def write_dataset(out, n_train, n_heldout, seed):
    """Write out/train.jsonl and out/heldout.jsonl; returns (n_train, n_heldout)."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    heldout = heldout_problems(seed, n_heldout)
    prompts = {p["prompt"] for p in heldout}
    train_rng = random.Random(f"train-{seed}")
    with open(out / "train.jsonl", "w") as f:
        written = 0
        while written < n_train:
            p = problem(train_rng)
            if p["prompt"] in prompts:  # never train on a held-out problem
                continue
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
            written += 1
    with open(out / "heldout.jsonl", "w") as f:
        for p in heldout:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    return n_train, n_heldout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--train", type=int, default=200000)
    parser.add_argument("--heldout", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_dataset(args.out, args.train, args.heldout, args.seed)
    print(f"wrote {args.train} training and {args.heldout} held-out problems to {args.out}")


if __name__ == "__main__":
    main()
