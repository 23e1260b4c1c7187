"""Per-tensor type choice of llama-quantize's recipes (Q4_K_M, Q8_0, ...), written in Python for
bench/models/make_bench_model.py, plus one published dynamic low-bit mix (`ud-iq1_s`).

The llama.cpp recipes follow llama.cpp's src/llama-quant.cpp as of unslothai/llama.cpp commit
d32676d77426540327835040d5d3279728f0b4c8 (Aug 2026, in step with ggml-org/llama.cpp): `tensor_allows_quantization`
(which tensors are quantized at all), `tensor_get_category`, `llama_ftype_get_default_type`,
`init_quantize_state_counters`, `llama_tensor_get_type_impl` (the attn_v / ffn_down / attn_output / output /
token_embd rules, use_more_bits, the n_expert == 8 and n_gqa rules) and `tensor_type_fallback` (rows whose length
is not a multiple of the block: IQ* -> IQ4_NL, Q2_K/Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, then
F16). This is an independent re-statement of those rules, checked tensor for tensor against a real llama-quantize
(see make_bench_model.py --compare), not a copy of the code. Not modelled: an importance matrix (all choices here
are those made without one), --pure / --tensor-type / --output-tensor-type overrides, the Falcon-only branches, and
the LLM_TYPE_70B attn_v bump (no shape here is a 70B llama).

Tensors are visited in llama.cpp's order (its weights_map sorts by layer number, then name), which is what the
i_attention_wv / i_ffn_down counters see. For an MoE model (n_expert > 1) the ffn_* rules take the layer from the
tensor name; for a dense one they count tensors.

`ud-iq1_s` is not a llama-quantize ftype but the mix of unsloth's "dynamic 1.58-bit" DeepSeek-R1/V3 GGUFs
(huggingface.co/unsloth/DeepSeek-R1-GGUF, DeepSeek-R1-UD-IQ1_S; described in unsloth.ai/blog/deepseekr1-dynamic,
27 Jan 2025): routed experts' gate/up in IQ1_S; routed down_proj in IQ2_XXS for the first MoE layers ("we leave the
first 3 to 6 MoE down_proj matrices in higher precision"; the blog gives 2.06/1.56 bits for down_proj) and IQ1_S
after; shared experts in 6 bit ("we'll use 6bit"), attention in "4 or 6 bit", embedding 4 bit, lm_head 6 bit,
router and norms F32. Which tensor gets 4 and which 6 bits is our reading of the R1 file's type census as quoted in
users' load logs (f32 361, q4_K 190, q5_K 116, q6_K 184, iq2_xxs 6, iq1_s 168 of 1025 tensors), which this
assignment reproduces exactly for R1's 61 layers (3 dense) with its attn_kv_b layout: Q4_K token_embd, attn_q_a,
attn_q_b, attn_kv_a_mqa and the dense ffn_gate/ffn_up; Q6_K output, attn_kv_b (here: attn_k_b and attn_v_b, which
the MLA conversion splits it into), attn_output, the dense ffn_down and ffn_down_shexp; Q5_K ffn_gate_shexp and
ffn_up_shexp; IQ2_XXS ffn_down_exps of the first 6 MoE layers; IQ1_S all other routed experts. It is an
assumption where the census is ambiguous, documented as such. Row lengths that do not fit the block use
llama.cpp's fallback chain (V2-Lite's 1408-wide ffn_down_exps: IQ1_S/IQ2_XXS -> IQ4_NL).
"""
import re

# ggml_type ids (ggml.h).
F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 = 0, 1, 2, 3, 6, 7, 8
Q2_K, Q3_K, Q4_K, Q5_K, Q6_K = 10, 11, 12, 13, 14
IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ4_NL, IQ3_S, IQ2_S, IQ4_XS, IQ1_M, BF16 = 16, 17, 18, 19, 20, 21, 22, 23, 29, 30
TQ1_0, TQ2_0 = 34, 35

TYPE_NAMES = {F32: "F32", F16: "F16", Q4_0: "Q4_0", Q4_1: "Q4_1", Q5_0: "Q5_0", Q5_1: "Q5_1", Q8_0: "Q8_0",
              Q2_K: "Q2_K", Q3_K: "Q3_K", Q4_K: "Q4_K", Q5_K: "Q5_K", Q6_K: "Q6_K", IQ2_XXS: "IQ2_XXS",
              IQ2_XS: "IQ2_XS", IQ3_XXS: "IQ3_XXS", IQ1_S: "IQ1_S", IQ4_NL: "IQ4_NL", IQ3_S: "IQ3_S",
              IQ2_S: "IQ2_S", IQ4_XS: "IQ4_XS", IQ1_M: "IQ1_M", BF16: "BF16", TQ1_0: "TQ1_0", TQ2_0: "TQ2_0"}
TYPE_IDS = {v.lower(): k for k, v in TYPE_NAMES.items()}
# (elements, bytes) per block.
BLOCK = {F32: (1, 4), F16: (1, 2), BF16: (1, 2), Q4_0: (32, 18), Q4_1: (32, 20), Q5_0: (32, 22), Q5_1: (32, 24),
         Q8_0: (32, 34), Q2_K: (256, 84), Q3_K: (256, 110), Q4_K: (256, 144), Q5_K: (256, 176), Q6_K: (256, 210),
         IQ2_XXS: (256, 66), IQ2_XS: (256, 74), IQ3_XXS: (256, 98), IQ1_S: (256, 50), IQ4_NL: (32, 18),
         IQ3_S: (256, 110), IQ2_S: (256, 82), IQ4_XS: (256, 136), IQ1_M: (256, 56), TQ1_0: (256, 54),
         TQ2_0: (256, 66)}

# llama_ftype ids (llama.h) and each ftype's default tensor type (llama_ftype_get_default_type).
FTYPES = {
    "f32": (0, F32), "f16": (1, F16), "bf16": (32, BF16), "q4_0": (2, Q4_0), "q4_1": (3, Q4_1), "q8_0": (7, Q8_0),
    "q5_0": (8, Q5_0), "q5_1": (9, Q5_1), "q2_k": (10, Q2_K), "q3_k_s": (11, Q3_K), "q3_k_m": (12, Q3_K),
    "q3_k_l": (13, Q3_K), "q4_k_s": (14, Q4_K), "q4_k_m": (15, Q4_K), "q5_k_s": (16, Q5_K), "q5_k_m": (17, Q5_K),
    "q6_k": (18, Q6_K), "iq2_xxs": (19, IQ2_XXS), "iq2_xs": (20, IQ2_XS), "q2_k_s": (21, Q2_K),
    "iq3_xs": (22, IQ3_S), "iq3_xxs": (23, IQ3_XXS), "iq1_s": (24, IQ1_S), "iq4_nl": (25, IQ4_NL),
    "iq3_s": (26, IQ3_S), "iq3_m": (27, IQ3_S), "iq2_s": (28, IQ2_XS), "iq2_m": (29, IQ2_S), "iq4_xs": (30, IQ4_XS),
    "iq1_m": (31, IQ1_M),
}
# The recipes make_bench_model.py offers and this module has been checked for against llama-quantize, and the
# dynamic mixes (name -> (general.file_type written, rule function name)).
LLAMA_RECIPES = ["q8_0", "q6_k", "q5_k_m", "q5_k_s", "q4_k_m", "q4_k_s", "q4_0", "q3_k_l", "q3_k_m", "q3_k_s",
                 "q2_k", "iq4_xs", "iq4_nl"]
DYNAMIC_MIXES = {"ud-iq1_s": 24}  # written as LLAMA_FTYPE_MOSTLY_IQ1_S, as unsloth's files are

# ftypes that take the "i-quant low-bit" branch of the rules.
_IQ_LOW = {"iq2_xxs", "iq2_xs", "iq1_s", "iq2_s", "iq2_m", "iq1_m"}

# Categories (tensor_get_category): the order of the tests matters.
OUTPUT, TOKEN_EMBD, ATTN_QKV, ATTN_KV_B, ATTN_V, ATTN_K, ATTN_Q, ATTN_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OTHER = \
    range(12)


def category(name):
    if name == "output.weight":
        return OUTPUT
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return TOKEN_EMBD
    for part, cat in (("attn_qkv.weight", ATTN_QKV), ("attn_kv_b.weight", ATTN_KV_B), ("attn_v.weight", ATTN_V),
                      ("attn_k.weight", ATTN_K), ("attn_q.weight", ATTN_Q), ("attn_output.weight", ATTN_OUTPUT),
                      ("ffn_up", FFN_UP), ("ffn_gate", FFN_GATE), ("ffn_down", FFN_DOWN)):
        if part in name:
            return cat
    return OTHER


def _is_attn_v(cat):
    return cat in (ATTN_V, ATTN_QKV, ATTN_KV_B)


def allows_quantization(name, dims):
    """tensor_allows_quantization for the tensor names the bench shapes have (2-D/3-D weights, not norms, not the
    MoE router)."""
    return (len(dims) >= 2 and name.endswith("weight") and "_norm.weight" not in name
            and "ffn_gate_inp.weight" not in name)


def _layer(name):
    m = re.match(r"blk\.(\d+)\.", name)
    return int(m.group(1)) if m else -1


def llama_order(names):
    """Indices of `names` in llama.cpp's weights_map order: layer number (non-layer tensors first), then name."""
    return sorted(range(len(names)), key=lambda i: (_layer(names[i]), names[i]))


def use_more_bits(i_layer, n_layers):
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or (i_layer - n_layers // 8) % 3 == 2


def fallback(t, ne0):
    """tensor_type_fallback: the type itself when ne0 is a whole number of its blocks, else the chain's next type
    (F16 when that does not fit either)."""
    if ne0 % BLOCK[t][0] == 0:
        return t
    if t in (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS):
        r = IQ4_NL
    elif t in (Q2_K, Q3_K, TQ1_0, TQ2_0):
        r = Q4_0
    elif t == Q4_K:
        r = Q5_0
    elif t == Q5_K:
        r = Q5_1
    elif t == Q6_K:
        r = Q8_0
    else:
        raise ValueError(f"no tensor type fallback is defined for type {TYPE_NAMES[t]}")
    return r if ne0 % BLOCK[r][0] == 0 else F16


class _State:
    """quantize_state_impl's counters."""

    def __init__(self, names, n_layer):
        cats = [category(n) for n in names]
        self.n_attention_wv = sum(1 for c in cats if _is_attn_v(c))
        self.has_tied_embeddings = OUTPUT not in cats
        self.n_ffn_down = self.n_ffn_gate = self.n_ffn_up = n_layer
        self.i_attention_wv = self.i_ffn_down = self.i_ffn_gate = self.i_ffn_up = 0


def _rules(qs, hp, ftype, name, ne0, cat, new):
    """llama_tensor_get_type_impl: the mixture's choice for one tensor (before the fallback)."""
    n_expert = hp.get("n_expert", 0)
    n_gqa = hp["n_head"] // hp["n_head_kv"]

    def layer_info(counter, n):
        return (_layer(name), n) if max(1, n_expert) > 1 else (counter, n)

    if cat == OUTPUT or (qs.has_tied_embeddings and cat == TOKEN_EMBD):
        if ne0 % BLOCK[new][0] != 0:
            return Q8_0
        if ftype in _IQ_LOW or ftype == "iq3_xxs":
            return Q5_K
        return Q6_K if new != Q8_0 else new
    if cat == TOKEN_EMBD:
        if ftype in ("iq2_xxs", "iq2_xs", "iq1_s", "iq1_m"):
            return Q2_K
        if ftype in ("iq2_s", "iq2_m", "iq3_xxs"):
            return IQ3_S
        return new
    if ftype in _IQ_LOW:
        if _is_attn_v(cat):
            if n_gqa >= 4 or n_expert >= 4:
                new = Q4_K
            else:
                new = IQ3_S if ftype in ("iq2_s", "iq2_m") else Q2_K
            qs.i_attention_wv += 1
        elif n_expert == 8 and cat == ATTN_K:
            new = Q4_K
        elif cat == FFN_DOWN:
            if qs.i_ffn_down < qs.n_ffn_down // 8:
                new = IQ3_S if ftype in ("iq2_s", "iq2_m") else Q2_K
            qs.i_ffn_down += 1
        elif cat == ATTN_OUTPUT:
            if n_expert == 8:
                new = Q5_K
            elif ftype in ("iq1_s", "iq1_m"):
                new = IQ2_XXS
            elif ftype in ("iq2_s", "iq2_m"):
                new = IQ3_S
        return new
    if _is_attn_v(cat):
        if ftype == "q2_k":
            new = Q4_K if n_gqa >= 4 else Q3_K
        elif ftype == "q2_k_s" and n_gqa >= 4:
            new = Q4_K
        elif ftype == "iq3_xxs":
            new = Q4_K if n_gqa >= 4 else IQ3_S  # no imatrix
        elif ftype in ("iq3_xs", "iq3_s") and n_gqa >= 4:
            new = Q4_K
        elif ftype == "iq3_m":
            new = Q4_K
        elif ftype == "q3_k_m":
            new = Q5_K if qs.i_attention_wv < 2 else Q4_K
        elif ftype == "q3_k_l":
            new = Q5_K
        elif ftype in ("iq4_nl", "iq4_xs") and n_gqa >= 4:
            new = Q5_K
        elif ftype in ("q4_k_m", "q5_k_m") and use_more_bits(qs.i_attention_wv, qs.n_attention_wv):
            new = Q6_K
        elif ftype == "q4_k_s" and qs.i_attention_wv < 4:
            new = Q5_K
        if n_expert == 8:
            new = Q8_0
        qs.i_attention_wv += 1
        return new
    if cat == ATTN_K:
        if n_expert == 8:
            return Q8_0
        if ftype == "iq3_xs":
            return IQ3_XXS
        if ftype == "iq3_xxs":
            return IQ2_S
        return new
    if cat == ATTN_Q:
        if ftype == "iq3_xs":
            return IQ3_XXS
        if ftype == "iq3_xxs":
            return IQ2_S
        return new
    if cat == FFN_DOWN:
        i_layer, n_layer = layer_info(qs.i_ffn_down, qs.n_ffn_down)
        if ftype == "q2_k":
            new = Q3_K
        elif ftype == "q2_k_s":
            if i_layer < n_layer // 8:
                new = Q4_K
        elif ftype == "iq3_xxs":  # no imatrix
            new = Q4_K if i_layer < n_layer // 8 else Q3_K
        elif ftype == "q3_k_m":
            new = Q5_K if i_layer < n_layer // 16 else Q4_K  # the Q3_K arm is Falcon-only
        elif ftype == "iq3_m" and (i_layer < n_layer // 8 or (n_expert == 8 and use_more_bits(i_layer, n_layer))):
            new = Q4_K
        elif ftype == "q3_k_l":
            new = Q5_K
        elif ftype == "q4_k_m":
            if use_more_bits(i_layer, n_layer):
                new = Q6_K
        elif i_layer < n_layer // 8 and ftype in ("iq4_nl", "iq4_xs"):  # no imatrix
            new = Q5_K
        elif ftype == "q5_k_m" and use_more_bits(i_layer, n_layer):
            new = Q6_K
        elif ftype == "q4_k_s" and i_layer < n_layer // 8:
            new = Q5_K
        qs.i_ffn_down += 1
        return new
    if cat == ATTN_OUTPUT:
        if n_expert == 8:
            if ftype in ("q2_k", "iq3_xs", "iq3_xxs", "q3_k_s", "q3_k_m", "iq4_nl", "q4_k_s", "q4_k_m", "iq3_s",
                         "iq3_m", "iq4_xs"):
                new = Q5_K
        else:
            new = {"q2_k": Q3_K, "iq3_xxs": IQ3_S, "q3_k_m": Q4_K, "q3_k_l": Q5_K, "iq3_m": Q4_K}.get(ftype, new)
        return new
    if cat == ATTN_QKV:
        if ftype in ("q3_k_m", "q3_k_l", "iq3_m"):
            return Q4_K
        return {"q4_k_m": Q5_K, "q5_k_m": Q6_K}.get(ftype, new)
    if cat in (FFN_GATE, FFN_UP):
        if cat == FFN_GATE:
            i_layer, n_layer = layer_info(qs.i_ffn_gate, qs.n_ffn_gate)
        else:
            i_layer, n_layer = layer_info(qs.i_ffn_up, qs.n_ffn_up)
        if ftype == "iq3_xs" and n_layer // 8 <= i_layer < 7 * n_layer // 8:
            new = IQ3_XXS
        if cat == FFN_GATE:
            qs.i_ffn_gate += 1
        else:
            qs.i_ffn_up += 1
        return new
    return new


def _ud_iq1_s(name, hp):
    """The dynamic 1.58-bit mix (module docstring), before the fallback."""
    cat = category(name)
    if cat == TOKEN_EMBD:
        return Q4_K
    if cat == OUTPUT:
        return Q6_K
    il = _layer(name)
    if "_exps" in name:
        if "ffn_down_exps" in name and il - hp["n_dense"] < 6:
            return IQ2_XXS
        return IQ1_S
    if "ffn_gate_shexp" in name or "ffn_up_shexp" in name:
        return Q5_K
    if "ffn_down" in name:  # dense ffn_down and ffn_down_shexp
        return Q6_K
    if any(p in name for p in ("attn_kv_b", "attn_k_b", "attn_v_b", "attn_output")):
        return Q6_K
    return Q4_K  # attn_q / attn_q_a / attn_q_b / attn_kv_a_mqa, dense ffn_gate / ffn_up


def choose_types(tensors, recipe, hp):
    """Types llama-quantize (or the named dynamic mix) gives `tensors`, a list of (name, dims ne0-first, type in the
    source file), the source being an F16/F32 conversion. hp: n_layer, n_head, n_head_kv, n_expert (0 for dense),
    n_dense (deepseek2, for the dynamic mix). Returns a list of ggml types in the same order."""
    names = [t[0] for t in tensors]
    out = [t[2] for t in tensors]
    if recipe in DYNAMIC_MIXES:
        for i, (name, dims, src) in enumerate(tensors):
            if allows_quantization(name, dims):
                out[i] = fallback(_ud_iq1_s(name, hp), dims[0])
        return out
    default = FTYPES[recipe][1]
    if default in (F32, F16, BF16):  # not quantized: 2-D weights become the float type, the rest stays
        for i, (name, dims, src) in enumerate(tensors):
            if allows_quantization(name, dims):
                out[i] = default
        return out
    qs = _State(names, hp["n_layer"])
    for i in llama_order(names):
        name, dims, src = tensors[i]
        if not allows_quantization(name, dims):
            continue
        new = _rules(qs, hp, recipe, name, dims[0], category(name), default)
        out[i] = fallback(new, dims[0])
    return out


def file_type(recipe):
    """general.file_type llama-quantize writes for the recipe."""
    return DYNAMIC_MIXES[recipe] if recipe in DYNAMIC_MIXES else FTYPES[recipe][0]
