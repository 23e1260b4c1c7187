"""Write tiny random Hugging Face checkpoints of the five reference variants, and the F32 GGUF of exactly the
weights each checkpoint represents, so the PyTorch reference (goldens.py logprobs) gives the logits Baleen must
reproduce from the folder and from its converted GGUF.

  /usr/bin/python3 tools/reference/make_hf.py --out DIR      # DIR/<variant>/ and DIR/<variant>.effective.gguf

numpy only. The weights are make_models.py's, taken back to the Hugging Face layout (llama q/k rows un-permuted,
attn_k_b/attn_v_b merged into kv_b_proj, experts unstacked, the MTP block with its own embed_tokens and head) and
stored as BF16, except deepseek2-v3, which is stored like DeepSeek-V3: F8_E4M3 weights with one float32
weight_scale_inv per 128x128 block (the shapes 144, 192 and 320 give partial edge blocks), BF16 embeddings, norms
and router, F32 e_score_correction_bias. Safetensors is written by hand (8-byte header length, JSON, data), in
three shards with model.safetensors.index.json. The "effective" weights are what a loader gets: BF16 values, and
FP8 codes times their scale in float32 rounded to BF16 (what Baleen and DeepSeek's fp8_cast_bf16.py do).
"""
import argparse
import json
import pathlib
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_models as mm  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
FP8_BLOCK = 128
N_SHARDS = 3

HF_ARCH = {"deepseek2-v3": "DeepseekV3ForCausalLM", "deepseek2-v2lite": "DeepseekV2ForCausalLM",
           "qwen2": "Qwen2ForCausalLM", "llama": "LlamaForCausalLM", "qwen3": "Qwen3ForCausalLM"}

# GGUF suffix -> Hugging Face suffix inside "model.layers.N." (the inverse of llama.cpp's converter table).
LAYER_NAMES = {
    "attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight", "attn_q.bias": "self_attn.q_proj.bias",
    "attn_k.bias": "self_attn.k_proj.bias", "attn_v.bias": "self_attn.v_proj.bias",
    "attn_output.weight": "self_attn.o_proj.weight", "attn_q_norm.weight": "self_attn.q_norm.weight",
    "attn_k_norm.weight": "self_attn.k_norm.weight", "attn_q_a.weight": "self_attn.q_a_proj.weight",
    "attn_q_a_norm.weight": "self_attn.q_a_layernorm.weight", "attn_q_b.weight": "self_attn.q_b_proj.weight",
    "attn_kv_a_mqa.weight": "self_attn.kv_a_proj_with_mqa.weight",
    "attn_kv_a_norm.weight": "self_attn.kv_a_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight", "ffn_gate_inp.weight": "mlp.gate.weight",
    "exp_probs_b.bias": "mlp.gate.e_score_correction_bias",
    "ffn_gate_shexp.weight": "mlp.shared_experts.gate_proj.weight",
    "ffn_up_shexp.weight": "mlp.shared_experts.up_proj.weight",
    "ffn_down_shexp.weight": "mlp.shared_experts.down_proj.weight",
    "nextn.eh_proj.weight": "eh_proj.weight", "nextn.enorm.weight": "enorm.weight",
    "nextn.hnorm.weight": "hnorm.weight", "nextn.shared_head_norm.weight": "shared_head.norm.weight",
}
EXPERT_NAMES = {"ffn_gate_exps.weight": "gate_proj.weight", "ffn_up_exps.weight": "up_proj.weight",
                "ffn_down_exps.weight": "down_proj.weight"}


# ---------------------------------------------------------------------------------------------------------------
# Number formats.

def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (finite inputs)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_round(x):
    return (bf16_bits(x).astype(np.uint32) << 16).view(np.float32)


def e4m3_values():
    """Values of codes 0x00..0x7e (positive, ascending; 0x7f is NaN): bias 7, subnormals m/8 * 2^-6."""
    out = []
    for code in range(0x7F):
        e, m = code >> 3, code & 7
        out.append(m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
    return np.array(out, dtype=np.float64)


E4M3 = e4m3_values()


def e4m3_encode(x):
    """Nearest E4M3 code (ties to the even code), saturating at 448."""
    a = np.minimum(np.abs(x.astype(np.float64)), 448.0)
    hi = np.clip(np.searchsorted(E4M3, a), 1, len(E4M3) - 1)
    lo = hi - 1
    d_lo, d_hi = a - E4M3[lo], E4M3[hi] - a
    code = np.where((d_hi < d_lo) | ((d_hi == d_lo) & (hi % 2 == 0)), hi, lo).astype(np.uint8)
    return code | np.where(x < 0, 0x80, 0).astype(np.uint8)


def e4m3_decode(code):
    v = E4M3[code & 0x7F].astype(np.float32)
    return np.where(code & 0x80, -v, v).astype(np.float32)


def fp8_quantize(w):
    """[rows, cols] float32 -> (codes uint8, scale_inv float32 [ceil(rows/128), ceil(cols/128)], effective)."""
    rows, cols = w.shape
    br, bc = -(-rows // FP8_BLOCK), -(-cols // FP8_BLOCK)
    scale = np.zeros((br, bc), dtype=np.float32)
    for i in range(br):
        for j in range(bc):
            block = w[i * FP8_BLOCK:(i + 1) * FP8_BLOCK, j * FP8_BLOCK:(j + 1) * FP8_BLOCK]
            scale[i, j] = np.float32(np.abs(block).max() / 448.0)
    full = np.repeat(np.repeat(scale, FP8_BLOCK, axis=0), FP8_BLOCK, axis=1)[:rows, :cols]
    codes = e4m3_encode(w / full)
    effective = bf16_round(e4m3_decode(codes) * full)  # float32 product, then BF16: what the loader keeps
    return codes, scale, effective


# ---------------------------------------------------------------------------------------------------------------
# Safetensors, by hand.

DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.uint16): "BF16", np.dtype(np.uint8): "F8_E4M3"}


def write_safetensors(path, tensors):
    """tensors: {name: (numpy array, dtype name)}; data in name order, offsets contiguous, header padded to 8."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        array, dtype = tensors[name]
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_sharded(folder, tensors):
    names = sorted(tensors)
    shards = [names[i::N_SHARDS] for i in range(N_SHARDS)]
    weight_map = {}
    for i, shard in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{N_SHARDS:05d}.safetensors"
        write_safetensors(folder / file, {n: tensors[n] for n in shard})
        weight_map.update({n: file for n in shard})
    total = sum(np.asarray(a).nbytes for a, _ in tensors.values())
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------------------------
# Layout: GGUF-named float weights -> Hugging Face names.

def unpermute_llama(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_tensors(variant, v, weights):
    """{hf name: float32 array} in the Hugging Face layout."""
    out = {"model.embed_tokens.weight": weights["token_embd.weight"],
           "model.norm.weight": weights["output_norm.weight"], "lm_head.weight": weights["output.weight"]}
    n_blocks = v["n_layer"] + v.get("nextn", 0)
    for il in range(n_blocks):
        blk, pre = f"blk.{il}.", f"model.layers.{il}."
        for name, w in weights.items():
            if not name.startswith(blk):
                continue
            rest = name[len(blk):]
            if rest in EXPERT_NAMES:
                for e in range(w.shape[0]):
                    out[f"{pre}mlp.experts.{e}.{EXPERT_NAMES[rest]}"] = w[e]
            elif rest in ("attn_k_b.weight", "attn_v_b.weight"):
                continue
            elif v["arch"] == "llama" and rest in ("attn_q.weight", "attn_k.weight"):
                out[pre + LAYER_NAMES[rest]] = unpermute_llama(w, v["n_head"] if "q" in rest else v["n_head_kv"])
            else:
                out[pre + LAYER_NAMES[rest]] = w
        if blk + "attn_k_b.weight" in weights:
            k_b, v_b = weights[blk + "attn_k_b.weight"], weights[blk + "attn_v_b.weight"]
            kv_b = np.concatenate([k_b.transpose(0, 2, 1), v_b], axis=1)  # [H, nope + v, kv_lora]
            out[pre + "self_attn.kv_b_proj.weight"] = np.ascontiguousarray(kv_b.reshape(-1, kv_b.shape[-1]))
        if il >= v["n_layer"]:  # DeepSeek-V3's MTP block carries its own embedding and head
            out[pre + "embed_tokens.weight"] = weights["token_embd.weight"]
            out[pre + "shared_head.head.weight"] = weights["output.weight"]
    return out


def is_fp8(name, w):
    return (w.ndim == 2 and name.endswith("proj.weight") and "embed" not in name) or name.endswith("head.head.weight")


def store(variant, tensors):
    """-> ({hf name: (array, dtype)}, {hf name: effective float32})."""
    stored, effective = {}, {}
    for name, w in tensors.items():
        if variant == "deepseek2-v3" and is_fp8(name, w):
            codes, scale, eff = fp8_quantize(w)
            stored[name] = (codes, "F8_E4M3")
            stored[name + "_scale_inv"] = (scale, "F32")
            effective[name] = eff
        elif name.endswith("e_score_correction_bias"):
            stored[name], effective[name] = (w, "F32"), w
        else:
            stored[name], effective[name] = (bf16_bits(w), "BF16"), bf16_round(w)
    return stored, effective


def gguf_weights(v, weights, effective_hf):
    """The effective values back under GGUF names, by applying the same layout changes to them."""
    assert set(hf_tensors(None, v, weights)) == set(effective_hf)
    out = {}
    for il in range(v["n_layer"] + v.get("nextn", 0)):
        blk, pre = f"blk.{il}.", f"model.layers.{il}."
        for name in weights:
            if not name.startswith(blk):
                continue
            rest = name[len(blk):]
            if rest in EXPERT_NAMES:
                out[name] = np.stack([effective_hf[f"{pre}mlp.experts.{e}.{EXPERT_NAMES[rest]}"]
                                      for e in range(weights[name].shape[0])])
            elif rest in ("attn_k_b.weight", "attn_v_b.weight"):
                H, kvr, nope = weights[blk + "attn_k_b.weight"].shape
                kv_b = effective_hf[pre + "self_attn.kv_b_proj.weight"].reshape(H, -1, kvr)
                out[name] = np.ascontiguousarray(kv_b[:, :nope, :].transpose(0, 2, 1) if "k_b" in rest
                                                 else kv_b[:, nope:, :])
            elif v["arch"] == "llama" and rest in ("attn_q.weight", "attn_k.weight"):
                out[name] = mm.permute_llama(effective_hf[pre + LAYER_NAMES[rest]],
                                             v["n_head"] if "q" in rest else v["n_head_kv"])
            else:
                out[name] = effective_hf[pre + LAYER_NAMES[rest]]
    out["token_embd.weight"] = effective_hf["model.embed_tokens.weight"]
    out["output_norm.weight"] = effective_hf["model.norm.weight"]
    out["output.weight"] = effective_hf["lm_head.weight"]
    if "rope_freqs.weight" in weights:  # computed from config.json by the loader, not stored in the checkpoint
        out["rope_freqs.weight"] = weights["rope_freqs.weight"]
    return {k: np.ascontiguousarray(a, dtype=np.float32) for k, a in out.items()}


# ---------------------------------------------------------------------------------------------------------------
# config.json and tokenizer files.

def config_json(variant, v):
    c = {"architectures": [HF_ARCH[variant]], "vocab_size": mm.VOCAB, "hidden_size": mm.N_EMBD,
         "intermediate_size": v["ff"], "num_hidden_layers": v["n_layer"], "num_attention_heads": v["n_head"],
         "max_position_embeddings": mm.CONTEXT, "rms_norm_eps": mm.RMS_EPS, "rope_theta": v["freq_base"],
         "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": mm.BOS_ID, "eos_token_id": mm.EOS_ID,
         "torch_dtype": "bfloat16"}
    if v["arch"] == "deepseek2":
        c.update({"num_key_value_heads": v["n_head"], "q_lora_rank": v["q_lora"] or None,
                  "kv_lora_rank": v["kv_lora"], "qk_nope_head_dim": v["nope"], "qk_rope_head_dim": v["rope"],
                  "v_head_dim": v["v_head"], "moe_intermediate_size": v["ff_exp"], "n_routed_experts": v["n_expert"],
                  "n_shared_experts": v["n_shared"], "num_experts_per_tok": v["n_used"], "moe_layer_freq": 1,
                  "first_k_dense_replace": v["n_dense"], "norm_topk_prob": v["weights_norm"],
                  "routed_scaling_factor": v["weights_scale"],
                  "scoring_func": "sigmoid" if v["gating"] == 2 else "softmax",
                  "topk_method": "noaux_tc" if v["n_group"] else "greedy",
                  "n_group": v["n_group"] or 1, "topk_group": v["n_group_used"] or 1,
                  "rope_scaling": {"type": "yarn", "factor": v["yarn_factor"],
                                   "original_max_position_embeddings": v["yarn_orig"], "beta_fast": 32,
                                   "beta_slow": 1, "mscale": 1.0,
                                   "mscale_all_dim": round(v["yarn_log_mul"] / 0.1, 6)}})
        if v["nextn"]:
            c["num_nextn_predict_layers"] = v["nextn"]
        if variant == "deepseek2-v3":
            c["quantization_config"] = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                        "weight_block_size": [FP8_BLOCK, FP8_BLOCK]}
    else:
        c["num_key_value_heads"] = v["n_head_kv"]
        if v["arch"] == "qwen2":
            c["use_sliding_window"] = False
        if v["arch"] == "llama":
            c["rope_scaling"] = {"rope_type": "llama3", **{k: v["llama3"][k] for k in
                                                            ("factor", "low_freq_factor", "high_freq_factor")},
                                 "original_max_position_embeddings": v["llama3"]["original_max_position"]}
        if v["arch"] == "qwen3":
            c["head_dim"] = v["head_dim"]
            c["rope_scaling"] = {"rope_type": "yarn", "factor": v["yarn_factor"],
                                 "original_max_position_embeddings": v["yarn_orig"]}
    return c


def tokenizer_files(folder):
    """The reference models' 288-token vocabulary as tokenizer.json (byte tokens, no merges, the specials as added
    tokens) with the bundled model's DeepSeek-V3 pre-tokenizer and chat template."""
    bundled = ROOT / "models" / "baleen-tiny-r1-tokenizer"
    base = json.loads((bundled / "tokenizer.json").read_text())
    tokens = mm.gpt2_byte_tokens() + [s for s, _ in mm.SPECIALS]
    while len(tokens) < mm.VOCAB:
        tokens.append(f"<｜place▁holder▁no▁{len(tokens) - 256 - len(mm.SPECIALS)}｜>")
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, t in enumerate(tokens) if i >= 256]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
           "normalizer": base["normalizer"], "pre_tokenizer": base["pre_tokenizer"],
           "post_processor": base["post_processor"], "decoder": base["decoder"],
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                     "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                     "vocab": {t: i for i, t in enumerate(tokens)}, "merges": []}}
    (folder / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False, indent=1) + "\n")
    base_config = json.loads((bundled / "tokenizer_config.json").read_text())
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": tokens[mm.BOS_ID],
              "eos_token": tokens[mm.EOS_ID], "pad_token": tokens[mm.EOS_ID], "clean_up_tokenization_spaces": False,
              "model_max_length": mm.CONTEXT, "tokenizer_class": "LlamaTokenizerFast",
              "chat_template": base_config["chat_template"]}
    (folder / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n")


def make_variant(out_dir, variant):
    v = mm.VARIANTS[variant]
    if v["arch"] == "deepseek2":
        weights, kvs = mm.deepseek2_weights(v), mm.deepseek2_kvs(v)
    else:
        weights, kvs = mm.dense_weights(v), mm.dense_kvs(v)
    folder = out_dir / variant
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    layout = hf_tensors(variant, v, weights)
    # The layout change must invert exactly before any rounding, or the reference would check the wrong model.
    back = gguf_weights(v, weights, layout)
    assert all(np.array_equal(back[k], weights[k]) for k in weights if k != "rope_freqs.weight"), variant
    stored, effective = store(variant, layout)
    write_sharded(folder, stored)
    (folder / "config.json").write_text(json.dumps(config_json(variant, v), indent=2) + "\n")
    tokenizer_files(folder)
    data, _ = mm.build_file(variant, "f32", gguf_weights(v, weights, effective), kvs)
    (out_dir / f"{variant}.effective.gguf").write_bytes(data)
    return folder


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--variant", action="append", choices=sorted(mm.VARIANTS), help="default: all five")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for variant in args.variant or list(mm.VARIANTS):
        print(f"wrote {make_variant(out, variant)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
