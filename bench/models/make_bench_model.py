#!/usr/bin/env python3
"""Write a random-weight GGUF with the real shape of a published model, for speed and memory benchmarks.

  /usr/bin/python3 bench/models/make_bench_model.py --out /tmp/bench/r1-distill-qwen-1.5b-q8_0.gguf

Only the shape is real: weights are random (matrices std ~0.02, norms ~1, biases ~0), so the outputs are noise, but
every kernel does the same work as on the real model. The file is written streaming, tensor by tensor and chunk by
chunk, so memory stays bounded (~100 MB) whatever the model size. Q8_0 blocks are generated directly (uniform int8
codes in [-127, 127] and an f16 scale around 0.02 / std(code)) instead of quantizing float draws, which keeps a
1.5B-parameter file to well under a minute. Q4_K super-blocks likewise (uniform 4-bit codes, random 6-bit sub-block
scales in [40, 63] with mins close to them, d ~ 0.02 / (4.6 * 51.5) and dmin = 7.5 d, so each sub-block has std ~0.02
and mean ~0); a matrix whose ne0 is not a multiple of 256 falls back to Q8_0 (ne0 % 32 == 0) or F32, as
tools/reference/gguf_io.fallback_type does. token_embd and output are Q4_K too (no Q6_K head as in Q4_K_M), and the
MoE router (ffn_gate_inp) stays F32 as llama-quantize leaves it. The tokenizer is minimal: `gpt2` model, the 256 GPT-2 byte tokens,
the DeepSeek special tokens at their real ids, padding tokens up to the vocabulary size, no merges, and the model's
real chat template (src/text/templates); it is only good for turning text into byte tokens and for valid token ids.
Needs numpy only.
"""
import argparse
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
TOOLS = HERE.parent.parent / "tools"
sys.path.insert(0, str(TOOLS / "reference"))
sys.path.insert(0, str(TOOLS / "gguf_reference"))
import gguf_io as gio  # noqa: E402
import gguf_ref  # noqa: E402
from make_models import gpt2_byte_tokens  # noqa: E402

TEMPLATES = HERE.parents[1] / "src" / "text" / "templates"  # verbatim tokenizer_config.json chat templates

# Shapes of published models (hyperparameters from their config.json / the llama.cpp conversion).
SHAPES = {
    "r1-distill-qwen-1.5b": dict(
        arch="qwen2", name="DeepSeek-R1-Distill-Qwen-1.5B (random weights)", n_embd=1536, n_layer=28, n_head=12,
        n_head_kv=2, head_dim=128, n_ff=8960, n_vocab=151936, qkv_bias=True, freq_base=10000.0, rms_eps=1e-6,
        context=131072, tied=False, pre="deepseek-r1-qwen",
        specials={151643: ("<｜end▁of▁sentence｜>", 3), 151644: ("<｜User｜>", 3), 151645: ("<｜Assistant｜>", 3),
                  151646: ("<｜begin▁of▁sentence｜>", 3), 151647: ("<|EOT|>", 3), 151648: ("<think>", 4),
                  151649: ("</think>", 4)},
        bos=151646, eos=151643, template="deepseek-r1-distill-qwen.jinja"),
    # deepseek-ai/DeepSeek-V2-Lite(-Chat): MLA without q-LoRA, 1 dense + 26 MoE layers (64 routed experts, 6 used,
    # 2 shared), softmax gating, no groups; MLA GGUF layout (attn_k_b / attn_v_b, head_count_kv 1, K-only cache).
    "deepseek-v2-lite": dict(
        arch="deepseek2", name="DeepSeek-V2-Lite (random weights)", n_embd=2048, n_layer=27, n_dense=1, n_head=16,
        n_ff=10944, q_lora=0, kv_lora=512, nope=128, rope=64, v_head=128, n_expert=64, n_used=6, n_shared=2,
        ff_exp=1408, weights_scale=1.0, n_vocab=102400, freq_base=10000.0, yarn_factor=40.0, yarn_orig=4096,
        yarn_log_mul=0.0707, rms_eps=1e-6, context=163840, tied=False, pre="deepseek-llm",
        specials={100000: ("<｜begin▁of▁sentence｜>", 3), 100001: ("<｜end▁of▁sentence｜>", 3),
                  100002: ("<｜fim▁hole｜>", 3), 100003: ("<｜fim▁begin｜>", 3), 100004: ("<｜fim▁end｜>", 3)},
        bos=100000, eos=100001, template="deepseek-v2.jinja"),
    # deepseek-ai/DeepSeek-V3 at its real width but 4 of its 61 layers: 3 dense (as in V3) + 1 MoE layer (256
    # routed experts x 2048, 8 used, 1 shared; sigmoid gating with exp_probs_b, 8 groups of which 4 are kept,
    # normalized top-k, x2.5), MLA with q-LoRA; no MTP block. One MoE layer of V3 reads as many bytes per token as
    # each of the real model's 58, so per-layer speed carries over.
    "deepseek-v3-slice": dict(
        arch="deepseek2", name="DeepSeek-V3 4-layer slice (random weights)", n_embd=7168, n_layer=4, n_dense=3,
        n_head=128, n_ff=18432, q_lora=1536, kv_lora=512, nope=128, rope=64, v_head=128, n_expert=256, n_used=8,
        n_shared=1, ff_exp=2048, weights_scale=2.5, gating="sigmoid", norm_topk=True, n_group=8, n_group_used=4,
        n_vocab=129280, freq_base=10000.0, yarn_factor=40.0, yarn_orig=4096, yarn_log_mul=0.1, rms_eps=1e-6,
        context=163840, tied=False, pre="deepseek-v3",
        specials={0: ("<｜begin▁of▁sentence｜>", 3), 1: ("<｜end▁of▁sentence｜>", 3), 2: ("<｜▁pad▁｜>", 3),
                  128798: ("<think>", 4), 128799: ("</think>", 4), 128800: ("<｜fim▁hole｜>", 3),
                  128801: ("<｜fim▁begin｜>", 3), 128802: ("<｜fim▁end｜>", 3), 128803: ("<｜User｜>", 3),
                  128804: ("<｜Assistant｜>", 3), 128805: ("<|EOT|>", 3)},
        bos=0, eos=1, template="deepseek-v3.jinja"),
}
GATING_FUNC = {"softmax": 1, "sigmoid": 2}  # GGUF expert_gating_func ids
GGML_Q5_K = 13
FILE_TYPE = {"f32": 0, "f16": 1, "q8_0": 7, "q4_k": 14, "q5_k": 16}  # 14, 16 = MOSTLY_Q4_K_S, Q5_K_S (informational)
GGML_TYPE = {"f32": gio.GGML_F32, "f16": gio.GGML_F16, "q8_0": gio.GGML_Q8_0, "q4_k": gio.GGML_Q4_K, "q5_k": GGML_Q5_K}
BLOCK_ELEMS = {**gio.BLOCK_ELEMS, GGML_Q5_K: 256}


def fallback_type(requested, ne0):
    """gguf_io.fallback_type, which does not know Q5_K: that falls back as Q4_K does (same block size)."""
    if requested == GGML_Q5_K:
        return GGML_Q5_K if ne0 % 256 == 0 else gio.fallback_type(gio.GGML_Q4_K, ne0)
    return gio.fallback_type(requested, ne0)
MATRIX_STD = 0.02
CHUNK_ELEMS = 1 << 22  # elements generated per write


def vocabulary(s):
    """(tokens, types): the specials at their real ids, the 256 byte tokens in the lowest free ids (0-255 unless a
    special sits there, as V3's BOS/EOS/pad do), [PADn] fillers elsewhere."""
    tokens, types = [None] * s["n_vocab"], [1] * s["n_vocab"]
    for i, (text, t) in s["specials"].items():
        tokens[i], types[i] = text, t
    free = (i for i in range(s["n_vocab"]) if tokens[i] is None)
    for byte_token, i in zip(gpt2_byte_tokens(), free):
        tokens[i] = byte_token
    return [t if t is not None else f"[PAD{i}]" for i, t in enumerate(tokens)], types


def tokenizer_kvs(s):
    tokens, types = vocabulary(s)
    return [gio.kv_str("tokenizer.ggml.model", "gpt2"),
            gio.kv_str("tokenizer.ggml.pre", s["pre"]),
            gio.kv_array("tokenizer.ggml.tokens", gio.VT_STRING, tokens),
            gio.kv_array("tokenizer.ggml.token_type", gio.VT_I32, types),
            gio.kv_array("tokenizer.ggml.merges", gio.VT_STRING, []),
            gio.kv_u32("tokenizer.ggml.bos_token_id", s["bos"]),
            gio.kv_u32("tokenizer.ggml.eos_token_id", s["eos"]),
            gio.kv_bool("tokenizer.ggml.add_bos_token", True),
            gio.kv_bool("tokenizer.ggml.add_eos_token", False)] + \
        [gio.kv_str("tokenizer.chat_template", (TEMPLATES / s["template"]).read_text(encoding="utf-8"))]


def header_kvs(s, type_name, n_head_kv):
    """general.* and the hyperparameters every architecture writes, in the converter's order."""
    a = s["arch"]
    return [gio.kv_str("general.architecture", a),
            gio.kv_str("general.name", s["name"]),
            gio.kv_u32("general.file_type", FILE_TYPE[type_name]),
            gio.kv_u32(f"{a}.context_length", s["context"]),
            gio.kv_u32(f"{a}.embedding_length", s["n_embd"]),
            gio.kv_u32(f"{a}.block_count", s["n_layer"]),
            gio.kv_u32(f"{a}.feed_forward_length", s["n_ff"]),
            gio.kv_u32(f"{a}.attention.head_count", s["n_head"]),
            gio.kv_u32(f"{a}.attention.head_count_kv", n_head_kv)]


def model_kvs(s, type_name):
    a = s["arch"]
    if a == "deepseek2":
        return deepseek2_kvs(s, type_name)
    return header_kvs(s, type_name, s["n_head_kv"]) + \
        [gio.kv_f32(f"{a}.rope.freq_base", s["freq_base"]),
         gio.kv_f32(f"{a}.attention.layer_norm_rms_epsilon", s["rms_eps"])] + tokenizer_kvs(s) + \
        [gio.kv_u32("general.quantization_version", 2)]


def deepseek2_kvs(s, type_name):
    a = "deepseek2"
    kvs = header_kvs(s, type_name, 1) + [  # MLA converts into MQA: one KV head
           gio.kv_u32(f"{a}.attention.key_length", s["kv_lora"] + s["rope"]),
           gio.kv_u32(f"{a}.attention.value_length", s["kv_lora"]),
           gio.kv_u32(f"{a}.attention.key_length_mla", s["nope"] + s["rope"]),
           gio.kv_u32(f"{a}.attention.value_length_mla", s["v_head"]),
           gio.kv_f32(f"{a}.attention.layer_norm_rms_epsilon", s["rms_eps"])]
    if s["q_lora"]:
        kvs.append(gio.kv_u32(f"{a}.attention.q_lora_rank", s["q_lora"]))
    kvs += [gio.kv_u32(f"{a}.attention.kv_lora_rank", s["kv_lora"]),
            gio.kv_u32(f"{a}.rope.dimension_count", s["rope"]),
            gio.kv_f32(f"{a}.rope.freq_base", s["freq_base"]),
            gio.kv_str(f"{a}.rope.scaling.type", "yarn"),
            gio.kv_f32(f"{a}.rope.scaling.factor", s["yarn_factor"]),
            gio.kv_u32(f"{a}.rope.scaling.original_context_length", s["yarn_orig"]),
            gio.kv_f32(f"{a}.rope.scaling.yarn_log_multiplier", s["yarn_log_mul"]),
            gio.kv_u32(f"{a}.leading_dense_block_count", s["n_dense"]),
            gio.kv_u32(f"{a}.expert_feed_forward_length", s["ff_exp"]),
            gio.kv_u32(f"{a}.expert_count", s["n_expert"]),
            gio.kv_u32(f"{a}.expert_used_count", s["n_used"]),
            gio.kv_u32(f"{a}.expert_shared_count", s["n_shared"]),
            gio.kv_f32(f"{a}.expert_weights_scale", s["weights_scale"])]
    if "gating" in s:  # V3: absent keys mean softmax, no renormalisation, no groups (V2)
        kvs += [gio.kv_bool(f"{a}.expert_weights_norm", s["norm_topk"]),
                gio.kv_u32(f"{a}.expert_gating_func", GATING_FUNC[s["gating"]]),
                gio.kv_u32(f"{a}.expert_group_count", s["n_group"]),
                gio.kv_u32(f"{a}.expert_group_used_count", s["n_group_used"])]
    kvs.append(gio.kv_u32(f"{a}.vocab_size", s["n_vocab"]))
    return kvs + tokenizer_kvs(s) + [gio.kv_u32("general.quantization_version", 2)]


def deepseek2_tensors(s, mt):
    D, H, V, F, E, FE = s["n_embd"], s["n_head"], s["n_vocab"], s["n_ff"], s["n_expert"], s["ff_exp"]
    nope, rope, vh, kvl = s["nope"], s["rope"], s["v_head"], s["kv_lora"]

    def m(name, dims):
        return (name, dims, fallback_type(mt, dims[0]), "matrix")

    out = [m("token_embd.weight", [D, V])]
    for il in range(s["n_layer"]):
        b = f"blk.{il}"
        out.append((f"{b}.attn_norm.weight", [D], gio.GGML_F32, "norm"))
        if s["q_lora"]:
            out += [m(f"{b}.attn_q_a.weight", [D, s["q_lora"]]),
                    (f"{b}.attn_q_a_norm.weight", [s["q_lora"]], gio.GGML_F32, "norm"),
                    m(f"{b}.attn_q_b.weight", [s["q_lora"], H * (nope + rope)])]
        else:
            out.append(m(f"{b}.attn_q.weight", [D, H * (nope + rope)]))
        out += [m(f"{b}.attn_kv_a_mqa.weight", [D, kvl + rope]),
                (f"{b}.attn_kv_a_norm.weight", [kvl], gio.GGML_F32, "norm"),
                m(f"{b}.attn_k_b.weight", [nope, kvl, H]),
                m(f"{b}.attn_v_b.weight", [kvl, vh, H]),
                m(f"{b}.attn_output.weight", [H * vh, D]),
                (f"{b}.ffn_norm.weight", [D], gio.GGML_F32, "norm")]
        if il < s["n_dense"]:
            out += [m(f"{b}.ffn_gate.weight", [D, F]), m(f"{b}.ffn_up.weight", [D, F]),
                    m(f"{b}.ffn_down.weight", [F, D])]
            continue
        S = s["n_shared"] * FE
        out.append((f"{b}.ffn_gate_inp.weight", [D, E], gio.GGML_F32, "matrix"))  # router: never quantized
        if s.get("gating") == "sigmoid":  # V3's selection bias
            out.append((f"{b}.exp_probs_b.bias", [E], gio.GGML_F32, "bias"))
        out += [                m(f"{b}.ffn_gate_exps.weight", [D, FE, E]), m(f"{b}.ffn_up_exps.weight", [D, FE, E]),
                m(f"{b}.ffn_down_exps.weight", [FE, D, E]),
                m(f"{b}.ffn_gate_shexp.weight", [D, S]), m(f"{b}.ffn_up_shexp.weight", [D, S]),
                m(f"{b}.ffn_down_shexp.weight", [S, D])]
    out += [("output_norm.weight", [D], gio.GGML_F32, "norm"), m("output.weight", [D, V])]
    return out


def tensor_list(s, type_name):
    """(name, dims ne0-first, ggml type, kind) in llama.cpp converter order; kind: matrix / norm / bias."""
    if s["arch"] == "deepseek2":
        return deepseek2_tensors(s, GGML_TYPE[type_name])
    D, hd, H, KV, F, V = s["n_embd"], s["head_dim"], s["n_head"], s["n_head_kv"], s["n_ff"], s["n_vocab"]
    mt = GGML_TYPE[type_name]
    assert all(d % BLOCK_ELEMS[mt] == 0 for d in (D, H * hd, F)), "no fallback needed for the dense shapes"
    out = [("token_embd.weight", [D, V], mt, "matrix")]
    for il in range(s["n_layer"]):
        b = f"blk.{il}"
        out.append((f"{b}.attn_norm.weight", [D], gio.GGML_F32, "norm"))
        for proj, rows in (("q", H * hd), ("k", KV * hd), ("v", KV * hd)):
            out.append((f"{b}.attn_{proj}.weight", [D, rows], mt, "matrix"))
            if s["qkv_bias"]:
                out.append((f"{b}.attn_{proj}.bias", [rows], gio.GGML_F32, "bias"))
        out += [(f"{b}.attn_output.weight", [H * hd, D], mt, "matrix"),
                (f"{b}.ffn_norm.weight", [D], gio.GGML_F32, "norm"),
                (f"{b}.ffn_gate.weight", [D, F], mt, "matrix"),
                (f"{b}.ffn_up.weight", [D, F], mt, "matrix"),
                (f"{b}.ffn_down.weight", [F, D], mt, "matrix")]
    out.append(("output_norm.weight", [D], gio.GGML_F32, "norm"))
    if not s["tied"]:
        out.append(("output.weight", [D, V], mt, "matrix"))
    return out


def nbytes(dims, t):
    n = int(np.prod(dims))
    if t == gio.GGML_Q8_0:
        assert dims[0] % 32 == 0
        return n // 32 * 34
    if t == gio.GGML_Q4_K:
        assert dims[0] % 256 == 0
        return n // 256 * 144
    if t == GGML_Q5_K:
        assert dims[0] % 256 == 0
        return n // 256 * 176
    return n * (4 if t == gio.GGML_F32 else 2)


def k_quant_blocks(rng, nb, bits):
    """nb random Q4_K (bits 4) or Q5_K (bits 5) super-blocks: x = d*sc*q - dmin*m with q uniform in 0..2^bits - 1,
    sc in [40, 63], m = sc +- 2 and dmin = d times the codes' mean, so every 32-element sub-block has mean ~0 and std
    ~d*sc*std(q) ~ MATRIX_STD. Q5_K keeps each code's fifth bit in qh, between the scales and qs."""
    levels = 1 << bits
    std_code = {4: 4.61, 5: 9.23}[bits]  # sqrt((levels^2 - 1) / 12), rounded as the files written so far used it
    block_bytes = 144 if bits == 4 else 176
    sc = rng.integers(40, 64, size=(nb, 8), dtype=np.uint8)
    mn = np.clip(sc.astype(np.int16) + rng.integers(-2, 3, size=(nb, 8), dtype=np.int16), 0, 63).astype(np.uint8)
    d = (MATRIX_STD / (std_code * 51.5)) * rng.uniform(0.8, 1.2, size=nb).astype(np.float32)
    blk = np.empty((nb, block_bytes), dtype=np.uint8)
    blk[:, 0:2] = gio.f16_bits(d).view(np.uint8).reshape(-1, 2)
    blk[:, 2:4] = gio.f16_bits((levels - 1) / 2 * d).view(np.uint8).reshape(-1, 2)
    blk[:, 4:16] = gio._pack_k4_scales(sc, mn)
    blk[:, 16:] = rng.integers(0, 256, size=(nb, block_bytes - 16), dtype=np.uint8)
    return blk.tobytes()


def chunks(rng, n, t, kind):
    """Yield the payload of an n-element tensor in pieces."""
    for start in range(0, n, CHUNK_ELEMS):
        m = min(CHUNK_ELEMS, n - start)
        if kind == "norm":
            x = (1.0 + 0.05 * rng.standard_normal(m, dtype=np.float32)).astype(np.float32)
        elif kind == "bias":
            x = (0.02 * rng.standard_normal(m, dtype=np.float32)).astype(np.float32)
        elif t == gio.GGML_Q8_0:
            nb = m // 32
            q = rng.integers(-127, 128, size=(nb, 32), dtype=np.int8)
            # uniform codes in [-127, 127] have std sqrt((255^2 - 1) / 12) ~ 73.6
            d = (MATRIX_STD / 73.6) * rng.uniform(0.8, 1.2, size=nb).astype(np.float32)
            blk = np.empty((nb, 34), dtype=np.uint8)
            blk[:, 0:2] = gio.f16_bits(d).view(np.uint8).reshape(-1, 2)
            blk[:, 2:] = q.view(np.uint8)
            yield blk.tobytes()
            continue
        elif t == gio.GGML_Q4_K:
            yield k_quant_blocks(rng, m // 256, 4)
            continue
        elif t == GGML_Q5_K:
            yield k_quant_blocks(rng, m // 256, 5)
            continue
        else:
            x = (MATRIX_STD * rng.standard_normal(m, dtype=np.float32)).astype(np.float32)
        yield x.astype("<f4").tobytes() if t == gio.GGML_F32 else x.astype("<f2").tobytes()


def header_bytes(kvs, tensors, align):
    """GGUF v3 header + tensor infos + padding, written with gguf_ref's Writer (the data follows, streamed)."""
    w = gguf_ref.Writer()
    w.out += b"GGUF"
    w.scalar("<I", 3)
    w.scalar("<Q", len(tensors))
    w.scalar("<Q", len(kvs))
    for key, vtype, v in kvs:
        w.string(key)
        w.scalar("<I", vtype)
        w.value(vtype, v)
    offset = 0
    for name, dims, t, _ in tensors:
        w.string(name)
        w.scalar("<I", len(dims))
        for d in dims:
            w.scalar("<Q", d)
        w.scalar("<I", t)
        w.scalar("<Q", offset)
        offset += (nbytes(dims, t) + align - 1) // align * align
    w.out += b"\0" * (-len(w.out) % align)
    return bytes(w.out), offset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output .gguf path")
    ap.add_argument("--shape", default="r1-distill-qwen-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--type", default="q8_0", choices=sorted(GGML_TYPE), help="type of the weight matrices")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)
    s, align, start = SHAPES[args.shape], 32, time.time()
    tensors = tensor_list(s, args.type)
    header, data_size = header_bytes(model_kvs(s, args.type), tensors, align)
    rng = np.random.Generator(np.random.PCG64(args.seed))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    n_params = 0
    with open(tmp, "wb") as f:
        f.write(header)
        for name, dims, t, kind in tensors:
            n = int(np.prod(dims))
            n_params += n
            written = 0
            for piece in chunks(rng, n, t, kind):
                f.write(piece)
                written += len(piece)
            assert written == nbytes(dims, t), name
            f.write(b"\0" * (-written % align))
    size = tmp.stat().st_size
    assert size == len(header) + data_size, (size, len(header), data_size)
    tmp.replace(out)
    print(f"wrote {out}: {len(tensors)} tensors, {n_params / 1e9:.3f} B parameters, {size / 2**30:.2f} GiB, "
          f"{time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
