#!/usr/bin/env python3
"""Write a random-weight GGUF with the real shape of a published model, for speed and memory benchmarks.

  /usr/bin/python3 bench/models/make_bench_model.py --out /tmp/bench/r1-1.5b-q4_k_m.gguf --type q4_k_m
  /usr/bin/python3 bench/models/make_bench_model.py --shape deepseek-v3-slice --type ud-iq1_s --out /tmp/bench/v3.gguf
  /usr/bin/python3 bench/models/make_bench_model.py --compare A.gguf B.gguf     (tensor names, shapes, types)
  /usr/bin/python3 bench/models/make_bench_model.py --self-test                 (statistics of every block type)
  /usr/bin/python3 bench/models/make_bench_model.py --check FILE.gguf           (decode a sample of each type)

Only the shape is real: weights are random (matrices std ~0.02 and mean ~0, norms ~1, biases ~0), so the outputs are
noise, but every kernel does the same work as on the real model. The file is written streaming, tensor by tensor and
chunk by chunk, so memory stays bounded (~100 MB) whatever the model size.

--type picks the tensor types:
  * a llama-quantize recipe (q8_0, q6_k, q5_k_m, q5_k_s, q4_k_m, q4_k_s, q4_0, q3_k_l, q3_k_m, q3_k_s, q2_k, iq4_xs,
    iq4_nl): each tensor gets the type llama-quantize gives it when quantizing the F16 conversion without an
    importance matrix (the Q6_K output and "more bits" attn_v / ffn_down layers of Q4_K_M, the Q5_0 / Q8_0 fallbacks
    of V2-Lite's 128- and 1408-wide rows, ...), so the file has the type mix of the downloads users run.
    bench/models/quant_recipes.py holds the rules (from llama.cpp's src/llama-quant.cpp); --compare checked them
    tensor for tensor against llama-quantize's output.
  * ud-iq1_s: unsloth's dynamic 1.58-bit mix of the DeepSeek-R1/V3 GGUFs (IQ1_S routed gate/up, IQ2_XXS then IQ1_S
    routed down, 4-6 bit attention and shared experts; source and assumptions in quant_recipes.py). For the deepseek2
    shapes.
  * f32, f16: every weight matrix in that float type (f16 is what llama-quantize takes as input).
  * q4_k, q5_k: every matrix Q4_K / Q5_K (falling back to Q8_0, else F32, where a row is not a multiple of 256) --
    uniform files, kept for comparisons with earlier runs; they are not what llama-quantize writes.
The MoE router (ffn_gate_inp), norms and biases stay F32 in every type, as llama-quantize leaves them.

Blocks are generated directly, never by quantizing float draws, which keeps a 1.5B-parameter file to about a minute:
random codes (uniform over their range, or uniform random grid indices and signs for the i-quants) and f16 scales
chosen so every matrix has std ~0.02 and mean ~0. Per type (S = 0.02, u a per-block factor uniform in [0.8, 1.2],
"+-" a random sign per block or sub-block; std(code) is the rms of the code over its uniform range):
  Q8_0   x = d*q, q uniform in [-127, 127] (random bytes, -128 made 0); d = S/73.6 * u.
  Q4_0   x = d*(q - 8), q in 0..15; d = +-S/4.64 * u (the sign cancels the -0.5 d mean across blocks).
  Q5_0   x = d*(q - 16), q in 0..31; d = +-S/9.25 * u.
  Q5_1   x = d*q + m, q in 0..31; d = S/9.23 * u, m = -15.5 d (zero mean per block).
  IQ4_NL x = d*v[q], v the 16 IQ4_NL levels (rms 67.4, mean -5.9); d = +-S/67.4 * u.
  Q2_K   x = d*sc*q - dmin*m per 16 elements, q in 0..3, 4-bit sc in [8, 15], m = sc +- 1, dmin = 1.5 d (the
         codes' mean, so each sub-block has mean ~0); d = S/(rms(sc) * 1.118) * u.
  Q3_K   x = d*s*q per 16 elements, q in -4..3 (rms 2.35), s = code - 32 = +-[16, 31]; d = S/(rms(s) * 2.35) * u.
  Q4_K   x = d*sc*q - dmin*m per 32 elements, q in 0..15, 6-bit sc in [40, 63], m = sc +- 2, dmin = 7.5 d;
  Q5_K   d = S/(4.61 * 51.5) * u (Q5_K: q in 0..31, std 9.23, dmin = 15.5 d).
  Q6_K   x = d*s*(q - 32) per 16 elements, q in 0..63 (rms 18.5), int8 s = +-[64, 127]; d = S/(rms(s) * 18.5) * u.
  IQ4_XS x = d*s*v[q] per 32 elements, s = 6-bit code - 32 = +-[16, 31]; d = S/(rms(s) * 67.4) * u.
  IQ2_XXS x = d*(0.5 + k)/4 * g * sign per 32 elements, g a uniform random row of the 256-row grid (levels 8, 25,
         43; rms 23.1), random signs (even parity), k in [8, 15]; d = S/(rms(0.5 + k)/4 * 23.1) * u.
  IQ1_S  x = d*(2k + 1)*(g + delta) per 32 elements, g a uniform random row of the 2048-row grid (levels -1, 0, 1;
         mean ~0, mean square 0.594), delta = +-0.125, k in [4, 7]; d = S/(rms(2k + 1) * sqrt(0.594 + 1/64)) * u.
  F16/F32 x = S * N(0, 1).
--self-test decodes a sample of every type with the project's independent numpy decoders (tools/quant_vectors,
tools/reference/gguf_io.py) and checks std and mean.

--layers N / --experts E cut a shape to N layers (keeping at least one MoE layer) / E routed experts, for checks
against llama-quantize that need an F16 file (the full V2-Lite F16 is 31 GB). llama-quantize's choice depends on the
layer count (use_more_bits), so such a cut file matches llama-quantize run on the cut F16, not the full model.

The tokenizer is minimal: `gpt2` model, the 256 GPT-2 byte tokens, the DeepSeek special tokens at their real ids,
padding tokens up to the vocabulary size, no merges, and the model's real chat template (src/text/templates); it is
only good for turning text into byte tokens and for valid token ids. Needs numpy only.
"""
import argparse
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
TOOLS = HERE.parent.parent / "tools"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(TOOLS / "reference"))
sys.path.insert(0, str(TOOLS / "gguf_reference"))
import gguf_io as gio  # noqa: E402
import gguf_ref  # noqa: E402
import quant_recipes as qr  # noqa: E402
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
# Uniform files: every matrix one type (the fallback of gguf_io.fallback_type where a row does not fit).
UNIFORM = {"f32": (0, qr.F32), "f16": (1, qr.F16), "q4_k": (14, qr.Q4_K), "q5_k": (16, qr.Q5_K)}
TYPE_CHOICES = list(UNIFORM) + qr.LLAMA_RECIPES + list(qr.DYNAMIC_MIXES)
MATRIX_STD = 0.02
CHUNK_ELEMS = 1 << 22  # elements generated per write


def fallback_type(requested, ne0):
    """The uniform files' fallback: the type when ne0 is a whole number of its blocks, else Q8_0, else F32."""
    if ne0 % qr.BLOCK[requested][0] == 0:
        return requested
    return qr.Q8_0 if ne0 % 32 == 0 else qr.F32


def cut_shape(s, layers=None, experts=None):
    """The shape with `layers` layers (deepseek2: keeping at least one MoE layer) and `experts` routed experts."""
    s = dict(s)
    if layers is not None:
        s["n_layer"] = layers
        if "n_dense" in s:
            s["n_dense"] = min(s["n_dense"], max(layers - 1, 0))
    if experts is not None and "n_expert" in s:
        s["n_expert"] = experts
        s["n_used"] = min(s["n_used"], experts)
        if "n_group" in s:
            while experts % s["n_group"]:
                s["n_group"] //= 2
            s["n_group_used"] = min(s["n_group_used"], s["n_group"])
    if layers is not None or experts is not None:
        s["name"] = s["name"].replace(" (random weights)", "") + \
            f" cut to {s['n_layer']} layers" + (f", {s['n_expert']} experts" if "n_expert" in s else "") + \
            " (random weights)"
    return s


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
            gio.kv_u32("general.file_type", file_type(type_name)),
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
    # llama.cpp reads q_lora_rank unless n_layer is 26 or 27 (its "lite" guess), so a V2-Lite cut to another layer
    # count says 0 (no q-LoRA) explicitly; the full V2-Lite file leaves the key out as the real conversion does.
    if s["q_lora"] or s["n_layer"] not in (26, 27):
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


def deepseek2_tensors(s):
    D, H, V, F, E, FE = s["n_embd"], s["n_head"], s["n_vocab"], s["n_ff"], s["n_expert"], s["ff_exp"]
    nope, rope, vh, kvl = s["nope"], s["rope"], s["v_head"], s["kv_lora"]

    def m(name, dims):
        return (name, dims, "matrix")

    out = [m("token_embd.weight", [D, V])]
    for il in range(s["n_layer"]):
        b = f"blk.{il}"
        out.append((f"{b}.attn_norm.weight", [D], "norm"))
        if s["q_lora"]:
            out += [m(f"{b}.attn_q_a.weight", [D, s["q_lora"]]),
                    (f"{b}.attn_q_a_norm.weight", [s["q_lora"]], "norm"),
                    m(f"{b}.attn_q_b.weight", [s["q_lora"], H * (nope + rope)])]
        else:
            out.append(m(f"{b}.attn_q.weight", [D, H * (nope + rope)]))
        out += [m(f"{b}.attn_kv_a_mqa.weight", [D, kvl + rope]),
                (f"{b}.attn_kv_a_norm.weight", [kvl], "norm"),
                m(f"{b}.attn_k_b.weight", [nope, kvl, H]),
                m(f"{b}.attn_v_b.weight", [kvl, vh, H]),
                m(f"{b}.attn_output.weight", [H * vh, D]),
                (f"{b}.ffn_norm.weight", [D], "norm")]
        if il < s["n_dense"]:
            out += [m(f"{b}.ffn_gate.weight", [D, F]), m(f"{b}.ffn_up.weight", [D, F]),
                    m(f"{b}.ffn_down.weight", [F, D])]
            continue
        S = s["n_shared"] * FE
        out.append((f"{b}.ffn_gate_inp.weight", [D, E], "router"))  # never quantized
        if s.get("gating") == "sigmoid":  # V3's selection bias
            out.append((f"{b}.exp_probs_b.bias", [E], "bias"))
        out += [m(f"{b}.ffn_gate_exps.weight", [D, FE, E]), m(f"{b}.ffn_up_exps.weight", [D, FE, E]),
                m(f"{b}.ffn_down_exps.weight", [FE, D, E]),
                m(f"{b}.ffn_gate_shexp.weight", [D, S]), m(f"{b}.ffn_up_shexp.weight", [D, S]),
                m(f"{b}.ffn_down_shexp.weight", [S, D])]
    out += [("output_norm.weight", [D], "norm"), m("output.weight", [D, V])]
    return out


def qwen2_tensors(s):
    D, hd, H, KV, F, V = s["n_embd"], s["head_dim"], s["n_head"], s["n_head_kv"], s["n_ff"], s["n_vocab"]
    out = [("token_embd.weight", [D, V], "matrix")]
    for il in range(s["n_layer"]):
        b = f"blk.{il}"
        out.append((f"{b}.attn_norm.weight", [D], "norm"))
        for proj, rows in (("q", H * hd), ("k", KV * hd), ("v", KV * hd)):
            out.append((f"{b}.attn_{proj}.weight", [D, rows], "matrix"))
            if s["qkv_bias"]:
                out.append((f"{b}.attn_{proj}.bias", [rows], "bias"))
        out += [(f"{b}.attn_output.weight", [H * hd, D], "matrix"),
                (f"{b}.ffn_norm.weight", [D], "norm"),
                (f"{b}.ffn_gate.weight", [D, F], "matrix"),
                (f"{b}.ffn_up.weight", [D, F], "matrix"),
                (f"{b}.ffn_down.weight", [F, D], "matrix")]
    out.append(("output_norm.weight", [D], "norm"))
    if not s["tied"]:
        out.append(("output.weight", [D, V], "matrix"))
    return out


def hparams(s):
    """What llama-quantize's rules read: layer count, heads (deepseek2 files say one KV head), routed experts."""
    n_head_kv = 1 if s["arch"] == "deepseek2" else s["n_head_kv"]
    return dict(n_layer=s["n_layer"], n_head=s["n_head"], n_head_kv=n_head_kv, n_expert=s.get("n_expert", 0),
                n_dense=s.get("n_dense", 0))


def tensor_list(s, type_name):
    """(name, dims ne0-first, ggml type, kind) in llama.cpp converter order; kind: matrix / norm / bias / router."""
    shapes = deepseek2_tensors(s) if s["arch"] == "deepseek2" else qwen2_tensors(s)
    if type_name in UNIFORM:
        mt = UNIFORM[type_name][1]
        types = [fallback_type(mt, dims[0]) if kind == "matrix" else qr.F32 for _, dims, kind in shapes]
    else:  # a recipe applied to the F16 conversion
        src = [(name, dims, qr.F16 if kind == "matrix" else qr.F32) for name, dims, kind in shapes]
        types = qr.choose_types(src, type_name, hparams(s))
    return [(name, dims, t, kind) for (name, dims, kind), t in zip(shapes, types)]


def file_type(type_name):
    return UNIFORM[type_name][0] if type_name in UNIFORM else qr.file_type(type_name)


def nbytes(dims, t):
    n = int(np.prod(dims))
    elems, size = qr.BLOCK[t]
    assert dims[0] % elems == 0, (dims, t)
    return n // elems * size


# ---------------------------------------------------------------------------------------------------------------
# Block generators (rules in the module docstring). Each takes the number of blocks and returns [nb, bytes] uint8.

def _rms(values):
    return float(np.sqrt(np.mean(np.square(np.asarray(values, dtype=np.float64)))))


def _put_f16(blk, offset, values):
    blk[:, offset:offset + 2] = gio.f16_bits(values).view(np.uint8).reshape(-1, 2)


def _jitter(rng, n):
    return rng.uniform(0.8, 1.2, size=n).astype(np.float32)


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1, 1)


def _random(rng, nb, t):
    return rng.integers(0, 256, size=(nb, qr.BLOCK[t][1]), dtype=np.uint8)


# Code statistics of the i-quant tables (fixed properties of ggml's grids; --self-test recomputes them from
# src/formats/quants/iq_grids.cc through tools/quant_vectors/iq_vectors.py).
IQ4NL_RMS = _rms([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113])  # 67.44
IQ2XXS_GRID_RMS = 23.118   # sqrt(mean square of the 256x8 IQ2_XXS grid) = sqrt(534.43)
IQ1S_GRID_MS = 0.59418     # mean square of the 2048x8 IQ1_S grid (its mean is -0.0009)


def gen_q8_0(rng, nb):
    blk = _random(rng, nb, qr.Q8_0)
    codes = blk[:, 2:]
    codes[codes == 0x80] = 0  # -128 -> 0: codes uniform in [-127, 127] (plus 1/256 extra zeros), mean 0
    _put_f16(blk, 0, (MATRIX_STD / 73.6) * _jitter(rng, nb))  # uniform codes in [-127, 127]: std 73.6
    return blk


def gen_q4_0(rng, nb):
    blk = _random(rng, nb, qr.Q4_0)
    _put_f16(blk, 0, _signs(rng, nb) * (MATRIX_STD / _rms(np.arange(16) - 8)) * _jitter(rng, nb))
    return blk


def gen_q5_0(rng, nb):
    blk = _random(rng, nb, qr.Q5_0)
    _put_f16(blk, 0, _signs(rng, nb) * (MATRIX_STD / _rms(np.arange(32) - 16)) * _jitter(rng, nb))
    return blk


def gen_q5_1(rng, nb):
    blk = _random(rng, nb, qr.Q5_1)
    d = (MATRIX_STD / float(np.std(np.arange(32)))) * _jitter(rng, nb)
    _put_f16(blk, 0, d)
    _put_f16(blk, 2, -15.5 * d)
    return blk


def gen_iq4_nl(rng, nb):
    blk = _random(rng, nb, qr.IQ4_NL)
    _put_f16(blk, 0, _signs(rng, nb) * (MATRIX_STD / IQ4NL_RMS) * _jitter(rng, nb))
    return blk


def gen_q2_k(rng, nb):
    blk = _random(rng, nb, qr.Q2_K)
    sc = rng.integers(8, 16, size=(nb, 16))
    mn = np.clip(sc + rng.integers(-1, 2, size=(nb, 16)), 0, 15)
    blk[:, 0:16] = (sc | (mn << 4)).astype(np.uint8)
    d = (MATRIX_STD / (_rms(np.arange(8, 16)) * float(np.std(np.arange(4))))) * _jitter(rng, nb)
    _put_f16(blk, 80, d)
    _put_f16(blk, 82, 1.5 * d)
    return blk


def gen_q3_k(rng, nb):
    blk = _random(rng, nb, qr.Q3_K)
    s = _signs(rng, (nb, 16)) * rng.integers(16, 32, size=(nb, 16))
    codes = (s + 32).astype(np.uint8)
    sc = np.zeros((nb, 12), dtype=np.uint8)
    for j in range(16):  # PackQ3ScaleCodes: low nibbles in bytes 0..7, top two bits in bytes 8..11
        sc[:, j % 8] |= (codes[:, j] & 0xF) << (4 * (j // 8))
        sc[:, 8 + j % 4] |= (codes[:, j] >> 4) << (2 * (j // 4))
    blk[:, 96:108] = sc
    _put_f16(blk, 108, (MATRIX_STD / (_rms(np.arange(16, 32)) * _rms(np.arange(8) - 4))) * _jitter(rng, nb))
    return blk


def _gen_k_mins(rng, nb, bits):
    """Q4_K (bits 4) / Q5_K (bits 5): the scheme of the original uniform files (see the docstring)."""
    t = qr.Q4_K if bits == 4 else qr.Q5_K
    levels = 1 << bits
    std_code = {4: 4.61, 5: 9.23}[bits]  # sqrt((levels^2 - 1) / 12), rounded as the files written so far used it
    blk = _random(rng, nb, t)
    sc = rng.integers(40, 64, size=(nb, 8), dtype=np.uint8)
    mn = np.clip(sc.astype(np.int16) + rng.integers(-2, 3, size=(nb, 8), dtype=np.int16), 0, 63).astype(np.uint8)
    d = (MATRIX_STD / (std_code * 51.5)) * _jitter(rng, nb)
    _put_f16(blk, 0, d)
    _put_f16(blk, 2, (levels - 1) / 2 * d)
    blk[:, 4:16] = gio._pack_k4_scales(sc, mn)
    return blk


def gen_q4_k(rng, nb):
    return _gen_k_mins(rng, nb, 4)


def gen_q5_k(rng, nb):
    return _gen_k_mins(rng, nb, 5)


def gen_q6_k(rng, nb):
    blk = _random(rng, nb, qr.Q6_K)
    s = _signs(rng, (nb, 16)) * rng.integers(64, 128, size=(nb, 16))
    blk[:, 192:208] = s.astype(np.int8).view(np.uint8)
    _put_f16(blk, 208, (MATRIX_STD / (_rms(np.arange(64, 128)) * _rms(np.arange(64) - 32))) * _jitter(rng, nb))
    return blk


def gen_iq4_xs(rng, nb):
    blk = _random(rng, nb, qr.IQ4_XS)
    codes = (_signs(rng, (nb, 8)) * rng.integers(16, 32, size=(nb, 8)) + 32).astype(np.uint32)
    blk[:, 4:8] = ((codes[:, 0::2] & 0xF) | ((codes[:, 1::2] & 0xF) << 4)).astype(np.uint8)
    high = ((codes >> 4) << (2 * np.arange(8, dtype=np.uint32))).sum(axis=1).astype("<u2")
    blk[:, 2:4] = high.view(np.uint8).reshape(-1, 2)
    _put_f16(blk, 0, (MATRIX_STD / (_rms(np.arange(16, 32)) * IQ4NL_RMS)) * _jitter(rng, nb))
    return blk


def gen_iq2_xxs(rng, nb):
    blk = _random(rng, nb, qr.IQ2_XXS)
    words = blk[:, 2:66].reshape(nb, 8, 8)[:, :, 4:8].copy().view("<u4")[:, :, 0]  # sign codes + scale, per 32
    k = rng.integers(8, 16, size=(nb, 8)).astype(np.uint32)
    words = (words & 0x0FFFFFFF) | (k << 28)
    group = blk[:, 2:66].reshape(nb, 8, 8)
    group[:, :, 4:8] = words.astype("<u4")[:, :, None].view(np.uint8).reshape(nb, 8, 4)
    blk[:, 2:66] = group.reshape(nb, 64)
    d = MATRIX_STD / (_rms(np.arange(8, 16) + 0.5) / 4 * IQ2XXS_GRID_RMS)
    _put_f16(blk, 0, d * _jitter(rng, nb))
    return blk


def gen_iq1_s(rng, nb):
    blk = _random(rng, nb, qr.IQ1_S)
    qh = blk[:, 34:50].copy().view("<u2").astype(np.uint32)  # random grid high bits (0..11) and delta sign (15)
    k = rng.integers(4, 8, size=(nb, 8)).astype(np.uint32)
    qh = (qh & 0x8FFF) | (k << 12)
    blk[:, 34:50] = qh.astype("<u2").view(np.uint8)
    d = MATRIX_STD / (_rms(2 * np.arange(4, 8) + 1) * np.sqrt(IQ1S_GRID_MS + 0.125 ** 2))
    _put_f16(blk, 0, d * _jitter(rng, nb))
    return blk


GENERATORS = {qr.Q8_0: gen_q8_0, qr.Q4_0: gen_q4_0, qr.Q5_0: gen_q5_0, qr.Q5_1: gen_q5_1, qr.IQ4_NL: gen_iq4_nl,
              qr.Q2_K: gen_q2_k, qr.Q3_K: gen_q3_k, qr.Q4_K: gen_q4_k, qr.Q5_K: gen_q5_k, qr.Q6_K: gen_q6_k,
              qr.IQ4_XS: gen_iq4_xs, qr.IQ2_XXS: gen_iq2_xxs, qr.IQ1_S: gen_iq1_s}


def chunks(rng, n, t, kind):
    """Yield the payload of an n-element tensor in pieces."""
    for start in range(0, n, CHUNK_ELEMS):
        m = min(CHUNK_ELEMS, n - start)
        if kind == "norm":
            x = (1.0 + 0.05 * rng.standard_normal(m, dtype=np.float32)).astype(np.float32)
        elif kind == "bias":
            x = (0.02 * rng.standard_normal(m, dtype=np.float32)).astype(np.float32)
        elif t in GENERATORS:
            yield GENERATORS[t](rng, m // qr.BLOCK[t][0]).tobytes()
            continue
        elif t in (qr.F32, qr.F16):
            x = (MATRIX_STD * rng.standard_normal(m, dtype=np.float32)).astype(np.float32)
        else:
            raise ValueError(f"no generator for {qr.TYPE_NAMES.get(t, t)}")
        yield x.astype("<f4").tobytes() if t == qr.F32 else x.astype("<f2").tobytes()


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


# ---------------------------------------------------------------------------------------------------------------
# --compare: tensor infos of two GGUF files, read from their headers only.

def read_tensor_infos(path):
    """{name: (dims, type)} and the metadata of a GGUF file, parsing only its header (a prefix of the file)."""
    size = 1 << 24
    with open(path, "rb") as f:
        while True:
            f.seek(0)
            data = f.read(size)
            try:
                r = gguf_ref.Reader(data)
                assert r.take(4) == b"GGUF", f"{path}: not a GGUF file"
                r.scalar("<I")
                n_tensors, n_kv = r.scalar("<Q"), r.scalar("<Q")
                meta, offsets = {}, {}
                for _ in range(n_kv):
                    key = r.string()
                    vtype = r.scalar("<I")
                    meta[key] = r.value(vtype)
                infos = {}
                for _ in range(n_tensors):
                    name = r.string()
                    dims = [r.scalar("<Q") for _ in range(r.scalar("<I"))]
                    infos[name] = (dims, r.scalar("<I"))
                    offsets[name] = r.scalar("<Q")
                align = meta.get("general.alignment", 32)
                meta["_data_start"] = (r.pos + align - 1) // align * align
                meta["_offsets"] = offsets
                return infos, meta
            except ValueError:
                if len(data) < size:
                    raise
                size *= 4


def check_file(path, max_elems=1 << 20):
    """Decode the first max_elems values of the first tensor of every quantized type in a GGUF (with the self-test's
    independent decoders) and print their std and mean; 0 when every weight matrix looks as intended."""
    infos, meta = read_tensor_infos(path)
    decoders, _ = _decoders()
    seen, ok = set(), True
    with open(path, "rb") as f:
        for name, (dims, t) in infos.items():
            if t in seen or t not in decoders:
                continue
            seen.add(t)
            elems, size = qr.BLOCK[t]
            nb = min(int(np.prod(dims)), max_elems) // elems
            f.seek(meta["_data_start"] + meta["_offsets"][name])
            blk = np.frombuffer(f.read(nb * size), dtype=np.uint8).reshape(nb, size)
            x = np.asarray(decoders[t](blk), dtype=np.float64).reshape(-1)
            good = abs(x.std() / MATRIX_STD - 1) < 0.05 and abs(x.mean()) < 0.02 * MATRIX_STD
            ok &= good
            print(f"{qr.TYPE_NAMES[t]:8s} {name:32s} {x.size:8d} values: std {x.std():.5f} mean {x.mean():+.1e} "
                  f"{'ok' if good else 'UNEXPECTED'}")
    return 0 if ok else 1


def compare(path_a, path_b, out=sys.stdout):
    """Print every tensor whose type or shape differs between two files (or that only one has); 0 when none do."""
    a, meta_a = read_tensor_infos(path_a)
    b, meta_b = read_tensor_infos(path_b)
    bad = 0
    for name in list(a) + [n for n in b if n not in a]:
        if name not in a or name not in b:
            print(f"  {name}: only in {path_a if name in a else path_b}", file=out)
            bad += 1
            continue
        (da, ta), (db, tb) = a[name], b[name]
        if da != db or ta != tb:
            print(f"  {name}: {da} {qr.TYPE_NAMES.get(ta, ta)} vs {db} {qr.TYPE_NAMES.get(tb, tb)}", file=out)
            bad += 1
    census = {}
    for dims, t in a.values():
        census[qr.TYPE_NAMES.get(t, t)] = census.get(qr.TYPE_NAMES.get(t, t), 0) + 1
    fa, fb = meta_a.get("general.file_type"), meta_b.get("general.file_type")
    print(f"{len(a)} / {len(b)} tensors, {bad} differ; general.file_type {fa} / {fb}; types of the first: "
          + ", ".join(f"{k} {v}" for k, v in sorted(census.items())), file=out)
    return 1 if bad or fa != fb else 0


# ---------------------------------------------------------------------------------------------------------------
# --self-test: decode generated blocks with the project's independent decoders and check their statistics.

def _decoders():
    """ggml type -> numpy decoder ([nb, bytes] uint8 -> float32 values), from tools/quant_vectors and gguf_io."""
    sys.path.insert(0, str(TOOLS / "quant_vectors"))
    import iq_vectors as iv
    import make_vectors as mv
    F = np.float32

    def q4_0(b):
        return (mv.nibbles32(b[:, 2:18]) - 8).astype(F) * mv.get_half(b, 0)[:, None]

    def q5_0(b):
        codes = mv.nibbles32(b[:, 6:22]) | (mv.fifth_bits32(b[:, 2:6]) << 4)
        return (codes - 16).astype(F) * mv.get_half(b, 0)[:, None]

    def q5_1(b):
        codes = mv.nibbles32(b[:, 8:24]) | (mv.fifth_bits32(b[:, 4:8]) << 4)
        return codes.astype(F) * mv.get_half(b, 0)[:, None] + mv.get_half(b, 2)[:, None]

    def iq4_nl(b):
        return mv.get_half(b, 0)[:, None] * mv.IQ4NL_VALUES[mv.nibbles32(b[:, 2:18])].astype(F)

    def q2_k(b):
        d, dmin = mv.get_half(b, 80), mv.get_half(b, 82)
        scales = b[:, 0:16].astype(np.int32)[:, mv.ELEMENTS // 16]
        q = mv.field(b[:, 16:80], mv.TWO_BIT_BYTE, mv.TWO_BIT_SHIFT, 3).astype(F)
        return d[:, None] * (scales & 0xF).astype(F) * q - dmin[:, None] * (scales >> 4).astype(F)

    def q3_k(b):
        s = b[:, 96:108].astype(np.int32)
        codes = np.zeros((len(b), 16), dtype=np.int32)
        for j in range(16):
            low = s[:, j] & 0xF if j < 8 else s[:, j - 8] >> 4
            codes[:, j] = low | (((s[:, 8 + j % 4] >> (2 * (j // 4))) & 3) << 4)
        low2 = mv.field(b[:, 32:96], mv.TWO_BIT_BYTE, mv.TWO_BIT_SHIFT, 3)
        high = mv.field(b[:, 0:32], mv.HIGH_BIT_BYTE, mv.HIGH_BIT_SHIFT, 1)
        dl = mv.get_half(b, 108)[:, None] * (codes - 32).astype(F)[:, mv.ELEMENTS // 16]
        return dl * (low2 - np.where(high == 1, 0, 4)).astype(F)

    def q5_k(b):
        sc, mn = mv.k4_scale_min(b[:, 4:16])
        low = mv.field(b[:, 48:176], mv.NIBBLE_BYTE, mv.NIBBLE_SHIFT, 0xF)
        high = mv.field(b[:, 16:48], mv.HIGH_BIT_BYTE, mv.HIGH_BIT_SHIFT, 1)
        return (mv.get_half(b, 0)[:, None] * sc.astype(F)[:, mv.ELEMENTS // 32] * (low + 16 * high).astype(F)
                - mv.get_half(b, 2)[:, None] * mn.astype(F)[:, mv.ELEMENTS // 32])

    def q6_k(b):
        ql, qh = b[:, 0:128].astype(np.int32), b[:, 128:192].astype(np.int32)
        out = np.zeros((len(b), 256), dtype=F)
        for n in range(2):  # ggml's dequantize_row_q6_K loop
            for l in range(32):
                h = qh[:, 32 * n + l]
                for k, (lo, shift) in enumerate(((ql[:, 64 * n + l] & 0xF, 0), (ql[:, 64 * n + l + 32] & 0xF, 2),
                                                 (ql[:, 64 * n + l] >> 4, 4), (ql[:, 64 * n + l + 32] >> 4, 6))):
                    out[:, 128 * n + l + 32 * k] = (lo | (((h >> shift) & 3) << 4)) - 32
        scales = b[:, 192:208].view(np.int8).astype(F)[:, mv.ELEMENTS // 16]
        return mv.get_half(b, 208)[:, None] * scales * out

    def via_gio(t, nbytes_):
        return lambda b: gio.dequantize(b.tobytes(), t, [b.size // nbytes_ * (32 if t == gio.GGML_Q8_0 else 256)])

    return {qr.Q8_0: via_gio(gio.GGML_Q8_0, 34), qr.Q4_K: via_gio(gio.GGML_Q4_K, 144), qr.Q4_0: q4_0,
            qr.Q5_0: q5_0, qr.Q5_1: q5_1, qr.IQ4_NL: iq4_nl, qr.Q2_K: q2_k, qr.Q3_K: q3_k, qr.Q5_K: q5_k,
            qr.Q6_K: q6_k, qr.IQ4_XS: iv.decode_iq4_xs, qr.IQ2_XXS: iv.decode_iq2_xxs, qr.IQ1_S: iv.decode_iq1_s}, iv


def self_test():
    decoders, iv = _decoders()
    g1, g2 = iv.GRIDS["iq1"].astype(np.float64), iv.GRIDS["iq2xxs"].astype(np.float64)
    assert abs(np.mean(g1 ** 2) - IQ1S_GRID_MS) < 1e-4 and abs(_rms(g2) - IQ2XXS_GRID_RMS) < 1e-3
    assert abs(_rms(iv.IQ4NL) - IQ4NL_RMS) < 1e-9
    rng = np.random.Generator(np.random.PCG64(5))
    n = 1 << 18
    ok = True
    for t, gen in GENERATORS.items():
        elems, size = qr.BLOCK[t]
        blk = gen(rng, n // elems)
        assert blk.shape == (n // elems, size) and blk.dtype == np.uint8, qr.TYPE_NAMES[t]
        x = np.asarray(decoders[t](blk), dtype=np.float64).reshape(-1)
        assert x.size == n and np.all(np.isfinite(x))
        std, mean = x.std(), x.mean()
        # Row means: a 1536-wide row (the smallest ne0 here) should also be centred, not only the whole sample.
        rows = x[: n // 1536 * 1536].reshape(-1, 1536).mean(axis=1)
        good = abs(std / MATRIX_STD - 1) < 0.05 and abs(mean) < 0.01 * MATRIX_STD and rows.std() < 0.1 * MATRIX_STD
        ok &= good
        print(f"{qr.TYPE_NAMES[t]:8s} std {std:.5f}  mean {mean:+.2e}  std of row means {rows.std():.1e}  "
              f"{'ok' if good else 'FAIL'}")
    # The recipes: a few choices llama-quantize is known to make (the --compare runs check every tensor).
    v2 = hparams(SHAPES["deepseek-v2-lite"])
    src = [(nm, dims, qr.F16 if kind == "matrix" else qr.F32)
           for nm, dims, kind in deepseek2_tensors(SHAPES["deepseek-v2-lite"])]
    types = dict(zip([s_[0] for s_ in src], qr.choose_types(src, "q4_k_m", v2)))
    assert types["blk.5.attn_k_b.weight"] == qr.Q5_0 and types["output.weight"] == qr.Q6_K
    assert types["blk.0.ffn_down.weight"] == qr.Q8_0 and types["blk.26.ffn_down_exps.weight"] == qr.Q8_0
    assert types["blk.4.ffn_down_exps.weight"] == qr.Q5_0 and types["blk.5.ffn_gate_inp.weight"] == qr.F32
    print("recipe spot checks ok")
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="output .gguf path")
    ap.add_argument("--shape", default="r1-distill-qwen-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--type", default="q8_0", choices=TYPE_CHOICES,
                    help="a llama-quantize recipe, the ud-iq1_s mix, or a uniform type (see the module docstring)")
    ap.add_argument("--layers", type=int, help="cut the shape to this many layers (for llama-quantize checks)")
    ap.add_argument("--experts", type=int, help="cut the routed experts to this many (deepseek2 shapes)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--plan", action="store_true", help="print each tensor's shape and type instead of writing")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare the tensor types of two GGUF files")
    ap.add_argument("--self-test", action="store_true", help="check the statistics of every block generator")
    ap.add_argument("--check", metavar="FILE", help="decode a sample of each quantized type in FILE, print std/mean")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if args.compare:
        return compare(*args.compare)
    if args.check:
        return check_file(args.check)
    s = cut_shape(SHAPES[args.shape], args.layers, args.experts)
    if args.type == "ud-iq1_s" and s["arch"] != "deepseek2":
        ap.error("ud-iq1_s is a DeepSeek MoE mix: use a deepseek2 shape")
    tensors = tensor_list(s, args.type)
    if args.plan:
        for name, dims, t, _ in tensors:
            print(f"{name} {dims} {qr.TYPE_NAMES[t]}")
        return 0
    if not args.out:
        ap.error("--out is required")
    align, start = 32, time.time()
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
