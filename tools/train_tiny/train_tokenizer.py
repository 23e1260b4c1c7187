#!/usr/bin/env python3
"""Byte-level BPE tokenizer for the bundled tiny model: DeepSeek-V3's pre-tokenizer, GPT-2's byte alphabet and
DeepSeek's special tokens, with merges learned from the task data. Standard library only (no `regex` module).

  /usr/bin/python3 tools/train_tiny/train_tokenizer.py --data DIR/train.jsonl --out tokenizer.json [--vocab 512]

Encoding follows what a GGUF engine does with tokenizer.ggml.pre = "deepseek-v3": special-token strings are
split out first, then the three Isolated regex splits of DeepSeek-V3's tokenizer.json are applied in order
(deepseek-models.md section 7.2), each piece's UTF-8 bytes are mapped through GPT-2's byte-to-unicode table and
merged by rank. The regexes are translated to Python `re` with the Unicode classes spelled out from
`unicodedata`, and `\\s` as PCRE2 reads it with PCRE2_UCP (\\p{Z}, \\h, \\v), which is how Baleen compiles them.

Merges are learned on the fixed wording of the tasks: digit runs never merge (every digit stays one token, which
arithmetic needs) and the random pseudo-words of the counting task are left out of the statistics, so they stay
close to letter-level.
"""
import argparse
import collections
import json
import pathlib
import re
import sys
import unicodedata

# ---------------------------------------------------------------------------------------------------------------
# Vocabulary layout (ids). Mirrors DeepSeek-V3: BOS 0, EOS 1, pad 2, ordinary tokens, `<｜place▁holder▁no▁N｜>`
# fillers, and the named markers last in V3's order (<think> … <｜tool▁sep｜>, V3 ids 128798-128814).

BOS, EOS, PAD = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"
THINK, END_THINK = "<think>", "</think>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"
TAIL_MARKERS = [THINK, END_THINK, "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>", USER, ASSISTANT, "<|EOT|>",
                "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>",
                "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>", "<｜tool▁output▁begin｜>",
                "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"]
# GGUF token types: llama.cpp's converter marks added tokens CONTROL when HF says special or when they look like
# `<｜…｜>` / `<|…|>`; <think> and </think> (special: false in R1) become USER_DEFINED.
NORMAL, CONTROL, USER_DEFINED = 1, 3, 4


def token_type(text):
    if text in (THINK, END_THINK):
        return USER_DEFINED
    if (text.startswith("<｜") and text.endswith("｜>")) or (text.startswith("<|") and text.endswith("|>")):
        return CONTROL
    return NORMAL


def render(sample):
    """(prompt text, completion text) exactly as the R1 chat template renders a one-turn conversation and the
    model is expected to continue it: the template's generation prompt ends with `<think>\\n`."""
    prompt = BOS + USER + sample["prompt"] + ASSISTANT + THINK + "\n"
    completion = sample["reasoning"] + "\n" + END_THINK + "\n\n" + sample["answer"]
    return prompt, completion


# ---------------------------------------------------------------------------------------------------------------
# GPT-2 byte <-> unicode table.

def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, n = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


# ---------------------------------------------------------------------------------------------------------------
# DeepSeek-V3 pre-tokenizer.

_CATEGORIES = [unicodedata.category(chr(cp))[0] for cp in range(0x110000)]


def _class_ranges(predicate):
    """A regex character-class body for every code point satisfying predicate (surrogates excluded)."""
    parts, start, prev = [], None, None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or not predicate(cp):
            continue
        if start is not None and cp == prev + 1:
            prev = cp
            continue
        if start is not None:
            parts.append((start, prev))
        start = prev = cp
    if start is not None:
        parts.append((start, prev))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in parts)


def _category_class(prefix):
    return _class_ranges(lambda cp: _CATEGORIES[cp] == prefix)


# PCRE2 with PCRE2_UCP: \s = \p{Z} | \h | \v.
_H_SPACE = {0x09, 0x20, 0xA0, 0x1680, 0x180E, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))
_V_SPACE = set(range(0x0A, 0x0E)) | {0x85, 0x2028, 0x2029}
_WS = _class_ranges(lambda cp: cp in _H_SPACE or cp in _V_SPACE or _CATEGORIES[cp] == "Z")
_N, _L, _M, _P, _S = (_category_class(c) for c in "NLMPS")

SPLITS = [
    re.compile(f"[{_N}]{{1,3}}"),                                      # \p{N}{1,3}
    re.compile("[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"),          # [一-龥぀-ゟ゠-ヿ]+
    re.compile("|".join([
        r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+",
        f"[^\\r\\n{_L}{_P}{_S}]?[{_L}{_M}]+",
        f" ?[{_P}{_S}]+[\\r\\n]*",
        f"[{_WS}]*[\\r\\n]+",
        f"[{_WS}]+(?![^{_WS}])",
        f"[{_WS}]+",
    ])),
]


def isolated_split(piece, pattern):
    """HF Split(behavior=Isolated): every match is a piece, and so is every non-empty gap between matches."""
    out, pos = [], 0
    for m in pattern.finditer(piece):
        if m.start() > pos:
            out.append(piece[pos:m.start()])
        out.append(m.group())
        pos = m.end()
    if pos < len(piece):
        out.append(piece[pos:])
    return out


def pre_tokenize(text):
    pieces = [text]
    for pattern in SPLITS:
        pieces = [p for piece in pieces for p in isolated_split(piece, pattern)]
    return pieces


def to_byte_chars(piece):
    return "".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer.

class Tokenizer:
    """tokens: id -> string (byte-level form for ordinary tokens); merges: ranked (left, right) pairs."""

    def __init__(self, tokens, merges):
        self.tokens = list(tokens)
        self.merges = [tuple(m) for m in merges]
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.types = [CONTROL if i < 3 or t.startswith("<｜place▁holder▁no▁") else
                      token_type(t) if t in TAIL_MARKERS else NORMAL for i, t in enumerate(self.tokens)]
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.specials = sorted((t for i, t in enumerate(self.tokens) if self.types[i] != NORMAL),
                               key=len, reverse=True)
        self.special_re = re.compile("|".join(re.escape(s) for s in self.specials))
        self.bos_id, self.eos_id = self.ids[BOS], self.ids[EOS]
        self._cache = {}

    def bpe(self, piece):
        if piece in self._cache:
            return self._cache[piece]
        symbols = list(to_byte_chars(piece))
        while len(symbols) > 1:
            best = min(range(len(symbols) - 1),
                       key=lambda i: self.ranks.get((symbols[i], symbols[i + 1]), float("inf")))
            if (symbols[best], symbols[best + 1]) not in self.ranks:
                break
            symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
        ids = [self.ids[s] for s in symbols]
        self._cache[piece] = ids
        return ids

    def encode_text(self, text):
        """Plain text (no special-token recognition), as an engine encodes untrusted user content."""
        return [i for piece in pre_tokenize(text) for i in self.bpe(piece)]

    def encode(self, text):
        """Special-token strings become their ids; the spans between them are encoded as plain text."""
        ids, pos = [], 0
        for m in self.special_re.finditer(text):
            ids += self.encode_text(text[pos:m.start()])
            ids.append(self.ids[m.group()])
            pos = m.end()
        return ids + self.encode_text(text[pos:])

    def decode(self, ids):
        out, raw = [], bytearray()
        for i in ids:
            t = self.tokens[i]
            if self.types[i] == NORMAL:
                raw += bytes(CHAR_TO_BYTE[c] for c in t)
            else:
                out.append(raw.decode("utf-8", errors="replace"))
                raw = bytearray()
                out.append(t)
        out.append(raw.decode("utf-8", errors="replace"))
        return "".join(out)

    def to_json(self):
        return {"tokens": self.tokens, "token_types": self.types, "merges": [f"{a} {b}" for a, b in self.merges],
                "bos_token_id": self.bos_id, "eos_token_id": self.eos_id, "padding_token_id": self.eos_id}

    @classmethod
    def from_json(cls, obj):
        return cls(obj["tokens"], [m.split(" ") for m in obj["merges"]])

    @classmethod
    def load(cls, path):
        return cls.from_json(json.loads(pathlib.Path(path).read_text()))


# ---------------------------------------------------------------------------------------------------------------
# Training.

def training_pieces(samples):
    """Pre-tokenized pieces of the task text with their counts: digit runs and the counting task's pseudo-words
    (and what is left of them as the reasoning walks through them) are left out (see the module doc)."""
    counts = collections.Counter()
    for s in samples:
        word = s["prompt"].rsplit(" ", 1)[-1].rstrip("?") if s["type"] == "count" else None
        for text in (s["prompt"], s["reasoning"], s["answer"]):
            for piece in pre_tokenize(text):
                if piece.isdigit() or (word is not None and piece.strip() and word.endswith(piece.strip())):
                    continue
                counts[piece] += 1
    return counts


def learn_merges(piece_counts, max_merges, min_count=2):
    """Classic BPE: repeatedly merge the most frequent adjacent pair (ties broken by the pair's text)."""
    words = [(list(to_byte_chars(p)), c) for p, c in piece_counts.items()]
    merges = []
    while len(merges) < max_merges:
        pairs = collections.Counter()
        for symbols, c in words:
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best, count = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if count < min_count:
            break
        merges.append(best)
        joined = best[0] + best[1]
        for symbols, _ in words:
            i = 0
            while i < len(symbols) - 1:
                if symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    symbols[i:i + 2] = [joined]
                i += 1
    return merges


def build_tokenizer(samples, vocab_size):
    fixed = 3 + 256 + len(TAIL_MARKERS)
    merges = learn_merges(training_pieces(samples), vocab_size - fixed)
    tokens = [BOS, EOS, PAD] + [BYTE_TO_CHAR[b] for b in range(256)] + [a + b for a, b in merges]
    n_placeholders = vocab_size - len(tokens) - len(TAIL_MARKERS)
    tokens += [f"<｜place▁holder▁no▁{i}｜>" for i in range(n_placeholders)] + TAIL_MARKERS
    assert len(tokens) == vocab_size and len(set(tokens)) == vocab_size
    return Tokenizer(tokens, merges)


def read_jsonl(path, limit=None):
    out = []
    with open(path) as f:
        for line in f:
            out.append(json.loads(line))
            if limit and len(out) >= limit:
                break
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="train.jsonl from make_data.py")
    ap.add_argument("--out", required=True, help="tokenizer JSON to write")
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--samples", type=int, default=50000, help="training problems used for the merge statistics")
    args = ap.parse_args(argv)
    tok = build_tokenizer(read_jsonl(args.data, args.samples), args.vocab)
    pathlib.Path(args.out).write_text(json.dumps(tok.to_json(), ensure_ascii=False, indent=0))
    print(f"{len(tok.merges)} merges, vocabulary {len(tok.tokens)}, written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
