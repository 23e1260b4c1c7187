"""Write the 15 tiny random-weight GGUF models (5 architectures x F32/Q8_0/Q4_K) used by the reference goldens.

  /usr/bin/python3 tools/reference/make_models.py --out DIR [--check-hashes tests/data/reference/goldens.json]

numpy only (no torch), byte-for-byte deterministic: weights come from numpy.random.RandomState(seed) (whose stream is
frozen across numpy versions), are generated once in float32 per variant in the Hugging Face layout, converted the
way llama.cpp's converter does (llama q/k row permutation, DeepSeek kv_b split into attn_k_b/attn_v_b), and the
q8_0/q4_k files quantize those same float weights. Metadata keys and tensor names follow gguf-schema.md sections 3-5, 8.
"""
import argparse
import hashlib
import json
import math
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gguf_io as gio  # noqa: E402

F32 = np.float32
VOCAB = 288
N_EMBD = 256
CONTEXT = 1024
RMS_EPS = 1e-6
TYPES = {"f32": gio.GGML_F32, "q8_0": gio.GGML_Q8_0, "q4_k": gio.GGML_Q4_K}
FILE_TYPE = {"f32": 0, "q8_0": 7, "q4_k": 14}  # general.file_type: ALL_F32, MOSTLY_Q8_0, MOSTLY_Q4_K_S

# Token layout shared by every model: 256 byte tokens, 6 named specials, placeholders up to VOCAB.
BOS_ID, EOS_ID = 256, 257
SPECIALS = [("<｜begin▁of▁sentence｜>", 3), ("<｜end▁of▁sentence｜>", 3), ("<｜User｜>", 3), ("<｜Assistant｜>", 3),
            ("<think>", 4), ("</think>", 4)]

# Random-weight scales (std of N(0, std^2)); chosen so log-probs are far from uniform but not degenerate.
STD = {"matrix": 0.08, "embed": 1.0, "output": 0.15, "norm": 0.05, "router": 0.1, "qkv_bias": 0.1, "exp_bias": 0.5}

# Seeds of the deepseek2 variants were picked among a few so that, on the golden prompts, the smallest gap between
# the last selected and the first rejected expert (and group) is >= 2e-3 in every file type: a float32 engine then
# routes exactly like the float64 reference (goldens.py prints these gaps).
VARIANTS = {
    # DeepSeek-V3 style: q-LoRA, sigmoid + bias + groups routing, 1 MTP block at index 3.
    "deepseek2-v3": dict(arch="deepseek2", seed=3003, n_layer=3, nextn=1, n_dense=1, n_head=4, q_lora=256, kv_lora=128,
                         nope=32, rope=16, v_head=48, ff=512, n_expert=16, ff_exp=256, n_used=4, n_shared=1,
                         n_group=4, n_group_used=2, gating=2, weights_norm=True, weights_scale=2.5, exp_bias=True,
                         freq_base=10000.0, yarn_factor=40.0, yarn_orig=32, yarn_log_mul=0.1),
    # DeepSeek-V2-Lite style: no q-LoRA, softmax routing without renormalisation, no groups, no MTP.
    "deepseek2-v2lite": dict(arch="deepseek2", seed=3018, n_layer=3, nextn=0, n_dense=1, n_head=4, q_lora=0,
                             kv_lora=128, nope=32, rope=16, v_head=48, ff=512, n_expert=8, ff_exp=256, n_used=3,
                             n_shared=2, n_group=0, n_group_used=0, gating=None, weights_norm=False,
                             weights_scale=1.0, exp_bias=False, freq_base=10000.0, yarn_factor=40.0, yarn_orig=32,
                             yarn_log_mul=0.0707),
    "qwen2": dict(arch="qwen2", seed=3101, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, ff=512, freq_base=1e6,
                  qkv_bias=True),
    "llama": dict(arch="llama", seed=3102, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, ff=512, freq_base=500000.0,
                  llama3=dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original_max_position=64)),
    "qwen3": dict(arch="qwen3", seed=3103, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, ff=512, freq_base=1e6,
                  qk_norm=True, yarn_factor=4.0, yarn_orig=32),
}
PRE_TOKENIZER = {"deepseek2": "deepseek-v3", "qwen2": "deepseek-r1-qwen", "llama": "llama-bpe", "qwen3": "qwen2"}


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer metadata.

def gpt2_byte_tokens():
    """GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 + n, listed in byte order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    mapping, n = {}, 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + n)
            n += 1
    return [mapping[b] for b in range(256)]


def tokenizer_kvs(arch):
    tokens = gpt2_byte_tokens() + [s for s, _ in SPECIALS]
    types = [1] * 256 + [t for _, t in SPECIALS]
    while len(tokens) < VOCAB:
        tokens.append(f"<｜place▁holder▁no▁{len(tokens) - 256 - len(SPECIALS)}｜>")
        types.append(3)
    return [gio.kv_str("tokenizer.ggml.model", "gpt2"),
            gio.kv_str("tokenizer.ggml.pre", PRE_TOKENIZER[arch]),
            gio.kv_array("tokenizer.ggml.tokens", gio.VT_STRING, tokens),
            gio.kv_array("tokenizer.ggml.token_type", gio.VT_I32, types),
            gio.kv_array("tokenizer.ggml.merges", gio.VT_STRING, []),
            gio.kv_u32("tokenizer.ggml.bos_token_id", BOS_ID),
            gio.kv_u32("tokenizer.ggml.eos_token_id", EOS_ID),
            gio.kv_bool("tokenizer.ggml.add_bos_token", True),
            gio.kv_bool("tokenizer.ggml.add_eos_token", False)]


# ---------------------------------------------------------------------------------------------------------------
# Weights. Every tensor is drawn in a fixed order from one RandomState per variant, in float64, then cast to float32.

class Draw:
    def __init__(self, seed):
        self.rs = np.random.RandomState(seed)

    def normal(self, shape, std, mean=0.0):
        return (mean + std * self.rs.standard_normal(shape)).astype(F32)

    def matrix(self, *shape):
        return self.normal(shape, STD["matrix"])

    def norm(self, n):
        return self.normal((n,), STD["norm"], mean=1.0)


def permute_llama(w, n_head):
    """llama.cpp converter: within each head, HF rows j and j + head_dim/2 become rows 2j and 2j + 1."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_rope_factors(head_dim, base, factor, low_freq_factor, high_freq_factor, original_max_position):
    """rope_freqs.weight as llama.cpp's converter writes it from HF's llama3 rule; the engine uses theta_i / f_i."""
    low_wl = original_max_position / low_freq_factor
    high_wl = original_max_position / high_freq_factor
    out = []
    for i in range(0, head_dim, 2):
        wl = 2 * math.pi / (base ** (-i / head_dim))
        if wl < high_wl:
            out.append(1.0)
        elif wl > low_wl:
            out.append(factor)
        else:
            smooth = (original_max_position / wl - low_freq_factor) / (high_freq_factor - low_freq_factor)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=F32)


def ffn_dense(draw, p, blk, n_ff):
    p[f"{blk}.ffn_gate.weight"] = draw.matrix(n_ff, N_EMBD)
    p[f"{blk}.ffn_up.weight"] = draw.matrix(n_ff, N_EMBD)
    p[f"{blk}.ffn_down.weight"] = draw.matrix(N_EMBD, n_ff)


def deepseek2_layer(draw, v, p, il):
    blk = f"blk.{il}"
    H, qk = v["n_head"], v["nope"] + v["rope"]
    p[f"{blk}.attn_norm.weight"] = draw.norm(N_EMBD)
    if v["q_lora"]:
        p[f"{blk}.attn_q_a.weight"] = draw.matrix(v["q_lora"], N_EMBD)
        p[f"{blk}.attn_q_a_norm.weight"] = draw.norm(v["q_lora"])
        p[f"{blk}.attn_q_b.weight"] = draw.matrix(H * qk, v["q_lora"])  # per head: nope rows, then rope rows
    else:
        p[f"{blk}.attn_q.weight"] = draw.matrix(H * qk, N_EMBD)
    p[f"{blk}.attn_kv_a_mqa.weight"] = draw.matrix(v["kv_lora"] + v["rope"], N_EMBD)  # latent rows, then k_pe
    p[f"{blk}.attn_kv_a_norm.weight"] = draw.norm(v["kv_lora"])
    # HF kv_b_proj [H * (nope + v_head), kv_lora], split by the converter into W_UK^T per head and W_UV per head.
    kv_b = draw.matrix(H * (v["nope"] + v["v_head"]), v["kv_lora"]).reshape(H, v["nope"] + v["v_head"], v["kv_lora"])
    p[f"{blk}.attn_k_b.weight"] = np.ascontiguousarray(kv_b[:, :v["nope"], :].transpose(0, 2, 1))
    p[f"{blk}.attn_v_b.weight"] = np.ascontiguousarray(kv_b[:, v["nope"]:, :])
    p[f"{blk}.attn_output.weight"] = draw.matrix(N_EMBD, H * v["v_head"])
    p[f"{blk}.ffn_norm.weight"] = draw.norm(N_EMBD)
    if il < v["n_dense"]:
        ffn_dense(draw, p, blk, v["ff"])
        return
    E, F = v["n_expert"], v["ff_exp"]
    p[f"{blk}.ffn_gate_inp.weight"] = draw.normal((E, N_EMBD), STD["router"])
    if v["exp_bias"]:
        p[f"{blk}.exp_probs_b.bias"] = draw.normal((E,), STD["exp_bias"])
    p[f"{blk}.ffn_gate_exps.weight"] = draw.matrix(E, F, N_EMBD)
    p[f"{blk}.ffn_up_exps.weight"] = draw.matrix(E, F, N_EMBD)
    p[f"{blk}.ffn_down_exps.weight"] = draw.matrix(E, N_EMBD, F)
    S = v["n_shared"] * F
    p[f"{blk}.ffn_gate_shexp.weight"] = draw.matrix(S, N_EMBD)
    p[f"{blk}.ffn_up_shexp.weight"] = draw.matrix(S, N_EMBD)
    p[f"{blk}.ffn_down_shexp.weight"] = draw.matrix(N_EMBD, S)


def deepseek2_weights(v):
    draw, p = Draw(v["seed"]), {}
    p["token_embd.weight"] = draw.normal((VOCAB, N_EMBD), STD["embed"])
    for il in range(v["n_layer"]):
        deepseek2_layer(draw, v, p, il)
    for il in range(v["n_layer"], v["n_layer"] + v["nextn"]):
        # MTP block: a full MLA + MoE layer plus the NextN projection and norms (not run by the reference).
        deepseek2_layer(draw, v, p, il)
        p[f"blk.{il}.nextn.eh_proj.weight"] = draw.matrix(N_EMBD, 2 * N_EMBD)
        p[f"blk.{il}.nextn.enorm.weight"] = draw.norm(N_EMBD)
        p[f"blk.{il}.nextn.hnorm.weight"] = draw.norm(N_EMBD)
        p[f"blk.{il}.nextn.shared_head_norm.weight"] = draw.norm(N_EMBD)
    p["output_norm.weight"] = draw.norm(N_EMBD)
    p["output.weight"] = draw.normal((VOCAB, N_EMBD), STD["output"])
    return p


def deepseek2_kvs(v):
    a, H = "deepseek2", v["n_head"]
    kvs = [gio.kv_u32(f"{a}.context_length", CONTEXT),
           gio.kv_u32(f"{a}.embedding_length", N_EMBD),
           gio.kv_u32(f"{a}.block_count", v["n_layer"] + v["nextn"]),
           gio.kv_u32(f"{a}.feed_forward_length", v["ff"]),
           gio.kv_u32(f"{a}.attention.head_count", H),
           gio.kv_u32(f"{a}.attention.head_count_kv", 1),
           gio.kv_u32(f"{a}.attention.key_length", v["kv_lora"] + v["rope"]),
           gio.kv_u32(f"{a}.attention.value_length", v["kv_lora"]),
           gio.kv_u32(f"{a}.attention.key_length_mla", v["nope"] + v["rope"]),
           gio.kv_u32(f"{a}.attention.value_length_mla", v["v_head"]),
           gio.kv_f32(f"{a}.attention.layer_norm_rms_epsilon", RMS_EPS)]
    if v["q_lora"]:
        kvs.append(gio.kv_u32(f"{a}.attention.q_lora_rank", v["q_lora"]))
    kvs += [gio.kv_u32(f"{a}.attention.kv_lora_rank", v["kv_lora"]),
            gio.kv_u32(f"{a}.rope.dimension_count", v["rope"]),
            gio.kv_f32(f"{a}.rope.freq_base", v["freq_base"]),
            gio.kv_str(f"{a}.rope.scaling.type", "yarn"),
            gio.kv_f32(f"{a}.rope.scaling.factor", v["yarn_factor"]),
            gio.kv_u32(f"{a}.rope.scaling.original_context_length", v["yarn_orig"]),
            gio.kv_f32(f"{a}.rope.scaling.yarn_log_multiplier", v["yarn_log_mul"]),
            gio.kv_u32(f"{a}.leading_dense_block_count", v["n_dense"]),
            gio.kv_u32(f"{a}.expert_feed_forward_length", v["ff_exp"]),
            gio.kv_u32(f"{a}.expert_count", v["n_expert"]),
            gio.kv_u32(f"{a}.expert_used_count", v["n_used"]),
            gio.kv_u32(f"{a}.expert_shared_count", v["n_shared"])]
    if v["n_group"]:
        kvs += [gio.kv_u32(f"{a}.expert_group_count", v["n_group"]),
                gio.kv_u32(f"{a}.expert_group_used_count", v["n_group_used"])]
    kvs.append(gio.kv_f32(f"{a}.expert_weights_scale", v["weights_scale"]))
    if v["weights_norm"]:
        kvs.append(gio.kv_bool(f"{a}.expert_weights_norm", True))
    if v["gating"] is not None:
        kvs.append(gio.kv_u32(f"{a}.expert_gating_func", v["gating"]))
    if v["nextn"]:
        kvs.append(gio.kv_u32(f"{a}.nextn_predict_layers", v["nextn"]))
    kvs.append(gio.kv_u32(f"{a}.vocab_size", VOCAB))
    return kvs


def dense_weights(v):
    """qwen2 / llama / qwen3: standard pre-norm transformer with GQA."""
    draw, p = Draw(v["seed"]), {}
    H, KV, hd = v["n_head"], v["n_head_kv"], v["head_dim"]
    if "llama3" in v:
        p["rope_freqs.weight"] = llama3_rope_factors(hd, v["freq_base"], **v["llama3"])
    p["token_embd.weight"] = draw.normal((VOCAB, N_EMBD), STD["embed"])
    for il in range(v["n_layer"]):
        blk = f"blk.{il}"
        p[f"{blk}.attn_norm.weight"] = draw.norm(N_EMBD)
        wq, wk, wv = draw.matrix(H * hd, N_EMBD), draw.matrix(KV * hd, N_EMBD), draw.matrix(KV * hd, N_EMBD)
        if v["arch"] == "llama":  # NORM rope in llama.cpp: the converter interleaves the HF half-split rows
            wq, wk = permute_llama(wq, H), permute_llama(wk, KV)
        p[f"{blk}.attn_q.weight"], p[f"{blk}.attn_k.weight"], p[f"{blk}.attn_v.weight"] = wq, wk, wv
        if v.get("qkv_bias"):
            p[f"{blk}.attn_q.bias"] = draw.normal((H * hd,), STD["qkv_bias"])
            p[f"{blk}.attn_k.bias"] = draw.normal((KV * hd,), STD["qkv_bias"])
            p[f"{blk}.attn_v.bias"] = draw.normal((KV * hd,), STD["qkv_bias"])
        if v.get("qk_norm"):
            p[f"{blk}.attn_q_norm.weight"] = draw.norm(hd)
            p[f"{blk}.attn_k_norm.weight"] = draw.norm(hd)
        p[f"{blk}.attn_output.weight"] = draw.matrix(N_EMBD, H * hd)
        p[f"{blk}.ffn_norm.weight"] = draw.norm(N_EMBD)
        ffn_dense(draw, p, blk, v["ff"])
    p["output_norm.weight"] = draw.norm(N_EMBD)
    p["output.weight"] = draw.normal((VOCAB, N_EMBD), STD["output"])
    return p


def dense_kvs(v):
    a = v["arch"]
    kvs = [gio.kv_u32(f"{a}.context_length", CONTEXT),
           gio.kv_u32(f"{a}.embedding_length", N_EMBD),
           gio.kv_u32(f"{a}.block_count", v["n_layer"]),
           gio.kv_u32(f"{a}.feed_forward_length", v["ff"]),
           gio.kv_u32(f"{a}.attention.head_count", v["n_head"]),
           gio.kv_u32(f"{a}.attention.head_count_kv", v["n_head_kv"]),
           gio.kv_f32(f"{a}.rope.freq_base", v["freq_base"]),
           gio.kv_f32(f"{a}.attention.layer_norm_rms_epsilon", RMS_EPS)]
    if a == "llama":
        kvs += [gio.kv_u32(f"{a}.rope.dimension_count", v["head_dim"]), gio.kv_u32(f"{a}.vocab_size", VOCAB)]
    if a == "qwen3":
        kvs += [gio.kv_u32(f"{a}.attention.key_length", v["head_dim"]),
                gio.kv_u32(f"{a}.attention.value_length", v["head_dim"]),
                gio.kv_str(f"{a}.rope.scaling.type", "yarn"),
                gio.kv_f32(f"{a}.rope.scaling.factor", v["yarn_factor"]),
                gio.kv_u32(f"{a}.rope.scaling.original_context_length", v["yarn_orig"])]
    return kvs


# ---------------------------------------------------------------------------------------------------------------
# Files.

def is_quantizable(name, w):
    """Only 2-D / 3-D weight matrices; the router (ffn_gate_inp) stays F32 like llama-quantize leaves it."""
    return w.ndim >= 2 and name.endswith(".weight") and ".ffn_gate_inp." not in name


def build_file(variant, type_name, weights, kvs):
    """Returns (GGUF bytes, {tensor name: ggml type})."""
    v = VARIANTS[variant]
    all_kvs = [gio.kv_str("general.architecture", v["arch"]),
               gio.kv_str("general.name", f"baleen-reference-{variant}"),
               gio.kv_u32("general.file_type", FILE_TYPE[type_name])] + kvs + tokenizer_kvs(v["arch"]) + \
              [gio.kv_u32("general.quantization_version", 2)]
    tensors, types = [], {}
    for name, w in weights.items():
        t = gio.fallback_type(TYPES[type_name], w.shape[-1]) if is_quantizable(name, w) else gio.GGML_F32
        data, decoded = gio.quantize(w, t)
        # The independent decoder must reproduce exactly the values the quantizer meant.
        back = gio.dequantize(data, t, list(reversed(w.shape)))
        assert np.array_equal(back.view(np.uint32), decoded.view(np.uint32)), (variant, type_name, name)
        tensors.append((name, list(reversed(w.shape)), t, data))
        types[name] = t
    return gio.build_gguf(all_kvs, tensors), types


def make_all(out_dir, quiet=False):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for variant, v in VARIANTS.items():
        if v["arch"] == "deepseek2":
            weights, kvs = deepseek2_weights(v), deepseek2_kvs(v)
        else:
            weights, kvs = dense_weights(v), dense_kvs(v)
        for type_name in TYPES:
            data, types = build_file(variant, type_name, weights, kvs)
            name = f"{variant}.{type_name}.gguf"
            (out_dir / name).write_bytes(data)
            hashes[name] = hashlib.sha256(data).hexdigest()
            if not quiet:
                counts = {}
                for t in types.values():
                    counts[gio.TYPE_NAMES[t]] = counts.get(gio.TYPE_NAMES[t], 0) + 1
                print(f"{name:32s} {len(data):10d} bytes  sha256 {hashes[name]}  tensors {counts}")
    return hashes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--check-hashes", metavar="FILE",
                    help="goldens.json (or a {file: sha256} JSON): exit 1 unless every written file matches")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    start = time.time()
    hashes = make_all(args.out, args.quiet)
    print(f"wrote {len(hashes)} files to {args.out} in {time.time() - start:.1f} s")
    if args.check_hashes:
        expected = json.loads(pathlib.Path(args.check_hashes).read_text())
        if "models" in expected:
            expected = {m["file"]: m["sha256"] for m in expected["models"]}
        bad = [n for n in hashes if expected.get(n) != hashes[n]] + [n for n in expected if n not in hashes]
        for n in bad:
            print(f"sha256 mismatch: {n}: expected {expected.get(n)}, wrote {hashes.get(n)}")
        if bad:
            return 1
        print(f"all {len(hashes)} sha256 match {args.check_hashes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
