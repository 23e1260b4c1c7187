"""The bundled model's architecture (ARCH) and its GGUF export in llama.cpp's deepseek2 schema.

Keys and tensor names are those llama.cpp's converter writes for DeepSeek-V3/R1 in the MLA layout (gguf-schema.md
sections 3-5): head_count_kv 1, key_length = kv_lora + rope, value_length = kv_lora, the *_mla keys, attn_k_b /
attn_v_b, exp_probs_b.bias, sigmoid gating (2), expert groups, weight normalisation and scale, YaRN keys with the
log multiplier stored as 0.1 * mscale_all_dim, plus nextn_predict_layers = 1 and the blk.N.nextn.* tensors of the
MTP block (which upstream conversions usually drop, and which this file keeps). Tokenizer: gpt2 model,
deepseek-v3 pre-tokenizer, DeepSeek's special tokens, and the R1 chat template (src/text/templates/deepseek-r1.jinja).
"""
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tools" / "reference"))
import gguf_io as gio  # noqa: E402

CHAT_TEMPLATE = REPO / "src" / "text" / "templates" / "deepseek-r1.jinja"

# DeepSeek-V3 in miniature. Names follow DeepSeek-V3 inference/model.py's ModelArgs.
ARCH = dict(
    vocab_size=512,
    dim=128,
    n_layers=4,              # main blocks; the first n_dense_layers are dense, the rest MoE
    n_dense_layers=1,
    n_mtp_layers=1,          # one MTP (nextn) block after them
    n_heads=4,
    q_lora_rank=64,
    kv_lora_rank=64,
    qk_nope_head_dim=32,
    qk_rope_head_dim=16,
    v_head_dim=32,
    inter_dim=384,           # dense FFN
    moe_inter_dim=64,        # each routed expert and the shared expert
    n_routed_experts=16,
    n_shared_experts=1,
    n_activated_experts=4,
    n_expert_groups=4,
    n_limited_groups=2,
    route_scale=2.5,
    rms_norm_eps=1e-6,
    rope_theta=10000.0,
    rope_factor=4.0,         # YaRN: context 1024 = 4 x the original 256
    original_seq_len=256,
    mscale_all_dim=1.0,
    context_length=1024,
    file_type="f32",         # f32 | f16 | q8_0 (2-D and 3-D weight matrices; norms, router, bias stay F32)
)

FILE_TYPES = {"f32": (gio.GGML_F32, 0), "f16": (gio.GGML_F16, 1), "q8_0": (gio.GGML_Q8_0, 7)}
GATING_SIGMOID = 2


def metadata_kvs(arch):
    """The deepseek2.* keys as (key, type, value) triples."""
    a = "deepseek2"
    r = arch["qk_rope_head_dim"]
    u32 = lambda k, v: gio.kv_u32(f"{a}.{k}", v)  # noqa: E731
    f32 = lambda k, v: gio.kv_f32(f"{a}.{k}", v)  # noqa: E731
    return [u32("context_length", arch["context_length"]),
            u32("embedding_length", arch["dim"]),
            u32("block_count", arch["n_layers"] + arch["n_mtp_layers"]),
            u32("feed_forward_length", arch["inter_dim"]),
            u32("attention.head_count", arch["n_heads"]),
            u32("attention.head_count_kv", 1),
            u32("attention.key_length", arch["kv_lora_rank"] + r),
            u32("attention.value_length", arch["kv_lora_rank"]),
            u32("attention.key_length_mla", arch["qk_nope_head_dim"] + r),
            u32("attention.value_length_mla", arch["v_head_dim"]),
            f32("attention.layer_norm_rms_epsilon", arch["rms_norm_eps"]),
            u32("attention.q_lora_rank", arch["q_lora_rank"]),
            u32("attention.kv_lora_rank", arch["kv_lora_rank"]),
            u32("rope.dimension_count", r),
            f32("rope.freq_base", arch["rope_theta"]),
            gio.kv_str(f"{a}.rope.scaling.type", "yarn"),
            f32("rope.scaling.factor", arch["rope_factor"]),
            u32("rope.scaling.original_context_length", arch["original_seq_len"]),
            f32("rope.scaling.yarn_log_multiplier", 0.1 * arch["mscale_all_dim"]),
            u32("leading_dense_block_count", arch["n_dense_layers"]),
            u32("expert_feed_forward_length", arch["moe_inter_dim"]),
            u32("expert_count", arch["n_routed_experts"]),
            u32("expert_used_count", arch["n_activated_experts"]),
            u32("expert_shared_count", arch["n_shared_experts"]),
            u32("expert_group_count", arch["n_expert_groups"]),
            u32("expert_group_used_count", arch["n_limited_groups"]),
            f32("expert_weights_scale", arch["route_scale"]),
            gio.kv_bool(f"{a}.expert_weights_norm", True),
            u32("expert_gating_func", GATING_SIGMOID),
            u32("nextn_predict_layers", arch["n_mtp_layers"]),
            u32("vocab_size", arch["vocab_size"])]


def model_metadata(arch):
    """GGUF metadata as the plain dict the trainable module reads (float keys rounded through float32, as a
    reader of the file would see them)."""
    meta = {"general.architecture": "deepseek2"}
    for key, vtype, value in metadata_kvs(arch):
        meta[key] = float(np.float32(value)) if vtype == gio.VT_F32 else value
    return meta


def parameter_counts(net, arch):
    """(all parameters including the MTP block, parameters used per token by the main model: everything outside
    the MTP block except the routed experts not selected)."""
    total = sum(int(np.prod(s)) for s in net.shapes.values())
    main_names = [n for n in net.shapes if not n.startswith(f"blk.{arch['n_layers']}.")]
    active = 0
    for n in main_names:
        size = int(np.prod(net.shapes[n]))
        if "_exps." in n:
            size = size * arch["n_activated_experts"] // arch["n_routed_experts"]
        active += size
    return total, active


def tokenizer_kvs(tok):
    return [gio.kv_str("tokenizer.ggml.model", "gpt2"),
            gio.kv_str("tokenizer.ggml.pre", "deepseek-v3"),
            gio.kv_array("tokenizer.ggml.tokens", gio.VT_STRING, tok.tokens),
            gio.kv_array("tokenizer.ggml.token_type", gio.VT_I32, tok.types),
            gio.kv_array("tokenizer.ggml.merges", gio.VT_STRING, [f"{a} {b}" for a, b in tok.merges]),
            gio.kv_u32("tokenizer.ggml.bos_token_id", tok.bos_id),
            gio.kv_u32("tokenizer.ggml.eos_token_id", tok.eos_id),
            gio.kv_u32("tokenizer.ggml.padding_token_id", tok.eos_id),  # as in R1's tokenizer_config
            gio.kv_bool("tokenizer.ggml.add_bos_token", True),
            gio.kv_bool("tokenizer.ggml.add_eos_token", False),
            gio.kv_str("tokenizer.chat_template", CHAT_TEMPLATE.read_text(encoding="utf-8"))]


def is_quantizable(name, shape):
    """Weight matrices only; norms, the router (ffn_gate_inp) and the selection bias stay F32 (llama-quantize)."""
    return len(shape) >= 2 and name.endswith(".weight") and ".ffn_gate_inp." not in name


def write_gguf(path, net, tok, arch, meta, cfg):
    ggml_type, file_type = FILE_TYPES[arch["file_type"]]
    n_params, n_active = parameter_counts(net, arch)
    kvs = [gio.kv_str("general.architecture", "deepseek2"),
           gio.kv_str("general.name", "Baleen Tiny R1"),
           gio.kv_str("general.basename", "baleen-tiny-r1"),
           gio.kv_str("general.size_label", f"{n_params / 1e6:.1f}M"),
           gio.kv_str("general.description",
                      "A tiny DeepSeek-V3-architecture reasoning model trained by the Baleen project on synthetic "
                      "arithmetic and letter-counting problems (tools/train_tiny)."),
           gio.kv_u32("general.file_type", file_type)]
    kvs += metadata_kvs(arch) + tokenizer_kvs(tok) + [gio.kv_u32("general.quantization_version", 2)]
    tensors = []
    for name, w in net.gguf_weights().items():
        t = gio.fallback_type(ggml_type, w.shape[-1]) if is_quantizable(name, w.shape) else gio.GGML_F32
        data, decoded = gio.quantize(w, t)
        back = gio.dequantize(data, t, list(reversed(w.shape)))
        assert np.array_equal(back.view(np.uint32), decoded.view(np.uint32)), name
        tensors.append((name, list(reversed(w.shape)), t, data))
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(path).write_bytes(gio.build_gguf(kvs, tensors))
