"""The bundled model's tokenizer as a Hugging Face folder (tokenizer.json + tokenizer_config.json), so tools that
read Hugging Face tokenizers — and `baleen tokenize FOLDER` — can use it without the GGUF.

The layout is DeepSeek-V3's own: a BPE model over GPT-2's byte alphabet, the pre-tokenizer Sequence of three
Isolated regex Splits plus ByteLevel (use_regex false), ByteLevel decoder, no normalizer, the special tokens as
added tokens (<think> and </think> not special, as in R1), add_bos_token true, and the R1 chat template.
"""
import json
import pathlib

import train_tokenizer as tk

# DeepSeek-V3's pre-tokenizer regexes as its tokenizer.json spells them (deepseek-models.md section 7.2).
PRE_TOKENIZER_REGEXES = [
    r"\p{N}{1,3}",
    "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|"
    r" ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
]


def tokenizer_json(tok):
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": tok.types[i] == tk.CONTROL}
             for i, t in enumerate(tok.tokens) if tok.types[i] != tk.NORMAL]
    splits = [{"type": "Split", "pattern": {"Regex": r}, "behavior": "Isolated", "invert": False}
              for r in PRE_TOKENIZER_REGEXES]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Sequence", "normalizers": []},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": splits + [byte_level]},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                               "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "vocab": {t: i for i, t in enumerate(tok.tokens)},
                      "merges": [f"{a} {b}" for a, b in tok.merges]}}


def tokenizer_config(chat_template):
    def token(content):
        return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False,
                "single_word": False}
    return {"add_bos_token": True, "add_eos_token": False, "bos_token": token(tk.BOS), "eos_token": token(tk.EOS),
            "pad_token": token(tk.EOS), "clean_up_tokenization_spaces": False, "legacy": True,
            "model_max_length": 1024, "tokenizer_class": "LlamaTokenizerFast", "unk_token": None,
            "chat_template": chat_template}


def write_folder(folder, tok, chat_template):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(tok), ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config(chat_template), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
