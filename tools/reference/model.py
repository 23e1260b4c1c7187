"""Reference forward pass (PyTorch, float64) for deepseek2 / qwen2 / llama / qwen3 GGUF files, from published formulas.

Everything (hyperparameters and weights) is read from the GGUF, so any file of these architectures works, including
ones written by other tools. Quantized tensors are dequantized to float32 by gguf_io and then widened to float64.

Semantics followed:
  deepseek2  DeepSeek-V3 inference/model.py: MLA (naive and absorbed forms), interleaved-pair (NORM) RoPE on the
             rope dims only, YaRN frequency correction (beta_fast 32, beta_slow 1, d = rope dims), cos/sin unscaled,
             softmax_scale = key_length_mla^-0.5 * mscale^2 with mscale = 1 + yarn_log_multiplier * ln(factor)
             (the GGUF stores 0.1 * mscale_all_dim; applied unconditionally as HF and llama.cpp do);
             MoE gate: softmax or sigmoid scores, selection-only bias exp_probs_b, group limiting (group score =
             top-2 sum with bias, max without), weights from the unbiased scores, optional renormalisation, scale.
  qwen2/qwen3/llama  Hugging Face: GQA, NeoX (rotate_half) RoPE; qwen2 q/k/v biases; qwen3 per-head q/k RMSNorm
             before RoPE, YaRN with cos/sin * (0.1 ln factor + 1); llama q/k rows are un-permuted from llama.cpp's
             interleaved order back to HF's half-split order, llama3 scaling from rope_freqs (theta_i / f_i).
RMSNorm y = w * x / sqrt(mean(x^2) + eps); FFN down(silu(gate x) * up x); causal attention; no embedding scaling.
"""
import math
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gguf_io  # noqa: E402

GATING_SOFTMAX, GATING_SIGMOID = 1, 2


def rms_norm(x, w, eps):
    return w * (x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps))


def ffn(x, gate, up, down):
    return torch.nn.functional.silu(x @ gate.T) * (x @ up.T) @ down.T


def causal_softmax(scores):
    """scores [..., T, S] with query t allowed to see keys s <= t."""
    T, S = scores.shape[-2:]
    mask = torch.ones(T, S, dtype=torch.bool).triu(1)
    return torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)


def yarn_inv_freq(dim, base, factor, original_ctx, beta_fast=32.0, beta_slow=1.0):
    """YaRN-corrected inverse frequencies (DeepSeek precompute_freqs_cis == HF _compute_yarn_parameters)."""
    inv = 1.0 / base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)

    def corr_dim(rotations):
        return dim * math.log(original_ctx / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low = max(math.floor(corr_dim(beta_fast)), 0)
    high = min(math.ceil(corr_dim(beta_slow)), dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    smooth = 1 - ramp  # 1: keep the original frequency (high-frequency dims), 0: divide by factor
    return inv / factor * (1 - smooth) + inv * smooth


def rotate_pairs(x, c, s):
    """Interleaved pairs (2i, 2i+1) (GPT-J / llama.cpp NORM); c/s broadcast against x[..., 0::2]."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1).flatten(-2)


def rope_norm(x, cos, sin):
    """Interleaved pairs (2i, 2i+1) (GPT-J / llama.cpp NORM). x [T, ..., d]; cos/sin [T, d/2]."""
    shape = [x.shape[0]] + [1] * (x.dim() - 2) + [cos.shape[-1]]
    return rotate_pairs(x, cos.reshape(shape), sin.reshape(shape))


def rope_neox(x, cos, sin):
    """Half-split pairs (i, i + d/2) (HF rotate_half / llama.cpp NEOX). x [T, ..., d]; cos/sin [T, d/2]."""
    shape = [x.shape[0]] + [1] * (x.dim() - 2) + [cos.shape[-1]]
    c, s = cos.reshape(shape), sin.reshape(shape)
    half = x.shape[-1] // 2
    x0, x1 = x[..., :half], x[..., half:]
    return torch.cat([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1)


def unpermute_llama(w, n_head):
    """Inverse of llama.cpp's converter permutation: per head, row 2j -> j and row 2j+1 -> j + head_dim/2."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).transpose(1, 2).reshape(w.shape)


class MetaKeys:
    """Hyperparameters from GGUF metadata (self.meta, self.arch); shared by ReferenceModel and the trainable
    module in trainable.py."""

    def key(self, name, default=KeyError):
        full = f"{self.arch}.{name}"
        if full in self.meta:
            return self.meta[full]
        if default is KeyError:
            raise KeyError(f"missing metadata key {full}")
        return default

    def read_common_hparams(self):
        a = self.arch
        self.n_embd = self.key("embedding_length")
        self.n_layer = self.key("block_count") - self.key("nextn_predict_layers", 0)  # MTP blocks are not run
        self.n_head = self.key("attention.head_count")
        self.eps = float(self.key("attention.layer_norm_rms_epsilon"))
        self.freq_base = float(self.key("rope.freq_base", 10000.0))
        self.scaling = self.key("rope.scaling.type", "none")
        for unsupported in ("attn_factor", "yarn_attn_factor", "yarn_ext_factor"):
            if f"{a}.rope.scaling.{unsupported}" in self.meta:
                raise ValueError(f"{a}.rope.scaling.{unsupported} is not supported by this reference")
        if self.scaling not in ("none", "yarn"):
            raise ValueError(f"rope scaling {self.scaling!r} is not supported by this reference")
        if self.scaling == "yarn":
            self.yarn = dict(factor=float(self.key("rope.scaling.factor")),
                             original_ctx=int(self.key("rope.scaling.original_context_length")),
                             beta_fast=float(self.key("rope.scaling.yarn_beta_fast", 32.0)),
                             beta_slow=float(self.key("rope.scaling.yarn_beta_slow", 1.0)))


class ReferenceModel(MetaKeys):
    """Load a GGUF and compute logits / log-probs for a token sequence (full causal prefill, positions 0..T-1)."""

    SUPPORTED = ("deepseek2", "qwen2", "llama", "qwen3")

    def __init__(self, path, dtype=torch.float64):
        self.file = gguf_io.read_gguf(path)
        self.meta = self.file.meta
        self.arch = self.meta["general.architecture"]
        if self.arch not in self.SUPPORTED:
            raise ValueError(f"unsupported architecture {self.arch!r}")
        self.dtype = dtype
        self._w = {}
        self.read_common_hparams()
        if self.arch == "deepseek2":
            self._init_deepseek2()
        else:
            self._init_dense()

    # -- metadata and weights --------------------------------------------------------------------------------

    def w(self, name):
        """Dequantized weight as a torch tensor (numpy shape = reversed GGUF dims), cached."""
        if name not in self._w:
            self._w[name] = torch.from_numpy(self.file.tensor(name).astype(np.float64)).to(self.dtype)
        return self._w[name]

    def has(self, name):
        return self.file.has(name)

    def embed(self, tokens):
        return self.w("token_embd.weight")[torch.as_tensor(tokens, dtype=torch.long)]

    def head(self, x):
        out = "output.weight" if self.has("output.weight") else "token_embd.weight"  # tied fallback
        return rms_norm(x, self.w("output_norm.weight"), self.eps) @ self.w(out).T

    def cos_sin(self, T, inv_freq, mult=1.0):
        angles = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq.to(torch.float64)[None, :]
        return (torch.cos(angles) * mult).to(self.dtype), (torch.sin(angles) * mult).to(self.dtype)

    # -- public API -------------------------------------------------------------------------------------------

    def logits(self, tokens, mla="absorbed", llama_rope="hf"):
        """[T, V] logits. mla: 'absorbed' | 'naive' (deepseek2). llama_rope: 'hf' (un-permute + NeoX) | 'gguf'
        (NORM pairs on the permuted GGUF rows, llama.cpp's way); both must agree."""
        if self.arch == "deepseek2":
            return self.head(self.hidden(tokens, mla))
        x = self.embed(tokens)
        for il in range(self.n_layer):
            x = self._dense_layer(il, x, llama_rope)
        return self.head(x)

    def log_probs(self, tokens, **kw):
        return torch.log_softmax(self.logits(tokens, **kw), dim=-1)

    # -- qwen2 / llama / qwen3 --------------------------------------------------------------------------------

    def _init_dense(self):
        self.n_head_kv = self.key("attention.head_count_kv", self.n_head)
        self.head_dim = self.key("attention.key_length", self.n_embd // self.n_head)
        self.v_dim = self.key("attention.value_length", self.head_dim)
        self.n_rot = self.key("rope.dimension_count", self.head_dim)
        inv = 1.0 / self.freq_base ** (torch.arange(0, self.n_rot, 2, dtype=torch.float64) / self.n_rot)
        self.rope_mult = 1.0
        if self.has("rope_freqs.weight"):  # llama3 scaling carried as per-frequency divisors
            inv = inv / torch.from_numpy(self.file.tensor("rope_freqs.weight").astype(np.float64))
        if self.scaling == "yarn":  # HF yarn: corrected frequencies, cos/sin times the attention factor
            y = self.yarn
            inv = yarn_inv_freq(self.n_rot, self.freq_base, y["factor"], y["original_ctx"], y["beta_fast"],
                                y["beta_slow"])
            self.rope_mult = 0.1 * math.log(y["factor"]) + 1.0 if y["factor"] > 1 else 1.0
        self.inv_freq = inv

    def _dense_layer(self, il, x, llama_rope):
        T, H, KV, hd = x.shape[0], self.n_head, self.n_head_kv, self.head_dim
        blk = f"blk.{il}"
        h = rms_norm(x, self.w(f"{blk}.attn_norm.weight"), self.eps)
        wq, wk = self.w(f"{blk}.attn_q.weight"), self.w(f"{blk}.attn_k.weight")
        bq = self.w(f"{blk}.attn_q.bias") if self.has(f"{blk}.attn_q.bias") else None
        bk = self.w(f"{blk}.attn_k.bias") if self.has(f"{blk}.attn_k.bias") else None
        neox = True
        if self.arch == "llama":
            if llama_rope == "hf":
                wq, wk = unpermute_llama(wq, H), unpermute_llama(wk, KV)
                bq = unpermute_llama(bq, H) if bq is not None else None
                bk = unpermute_llama(bk, KV) if bk is not None else None
            else:
                neox = False
        q, k, v = h @ wq.T, h @ wk.T, h @ self.w(f"{blk}.attn_v.weight").T
        if bq is not None:
            q = q + bq
        if bk is not None:
            k = k + bk
        if self.has(f"{blk}.attn_v.bias"):
            v = v + self.w(f"{blk}.attn_v.bias")
        q, k, v = q.view(T, H, hd), k.view(T, KV, hd), v.view(T, KV, self.v_dim)
        if self.has(f"{blk}.attn_q_norm.weight"):  # qwen3: per-head RMSNorm before RoPE
            q = rms_norm(q, self.w(f"{blk}.attn_q_norm.weight"), self.eps)
            k = rms_norm(k, self.w(f"{blk}.attn_k_norm.weight"), self.eps)
        cos, sin = self.cos_sin(T, self.inv_freq, self.rope_mult)
        rope = rope_neox if neox else rope_norm
        r = self.n_rot
        q = torch.cat([rope(q[..., :r], cos, sin), q[..., r:]], dim=-1)
        k = torch.cat([rope(k[..., :r], cos, sin), k[..., r:]], dim=-1)
        group = H // KV  # GQA: query head h reads KV head h // group
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        scores = torch.einsum("thd,shd->hts", q, k) * hd ** -0.5
        o = torch.einsum("hts,shd->thd", causal_softmax(scores), v).reshape(T, H * self.v_dim)
        x = x + o @ self.w(f"{blk}.attn_output.weight").T
        h = rms_norm(x, self.w(f"{blk}.ffn_norm.weight"), self.eps)
        return x + ffn(h, self.w(f"{blk}.ffn_gate.weight"), self.w(f"{blk}.ffn_up.weight"),
                       self.w(f"{blk}.ffn_down.weight"))

    # -- deepseek2 --------------------------------------------------------------------------------------------

    def _init_deepseek2(self):
        read_deepseek2_hparams(self)
        self.route_gaps = None  # set to a list to record routing margins (see route)

    def route(self, blk, h):
        return route(self, self.w, blk, h)

    def hidden(self, tokens, mla="absorbed"):
        """deepseek2: the last main layer's output [T, D], before output_norm (what the MTP block reads)."""
        x = self.embed(tokens)
        cos, sin = self.cos_sin(len(tokens), self.inv_freq)
        for il in range(self.n_layer):
            x = deepseek2_block(self, self.w, il, x, cos, sin, mla)
        return x

    def mtp_logits(self, tokens, mla="absorbed"):
        """deepseek2 with nextn_predict_layers = 1: [T-1, V] logits of the MTP block, row i predicting
        tokens[i+2] from the main model's state at i and the embedding of tokens[i+1]."""
        if self.key("nextn_predict_layers", 0) < 1:
            raise ValueError("the file has no MTP (nextn) block")
        h = self.hidden(tokens, mla)
        next_embed = self.embed(tokens[1:])
        cos, sin = self.cos_sin(len(tokens) - 1, self.inv_freq)
        return mtp_logits(self, self.w, h[:-1], next_embed, cos, sin, mla)


# ---------------------------------------------------------------------------------------------------------------
# deepseek2 (DeepSeek-V3 inference/model.py semantics), shared by the GGUF reference above and by the trainable
# module below. `m` supplies the hyperparameters (read_deepseek2_hparams) and has(name); `w(name)` returns a weight
# in numpy/PyTorch order (reversed GGUF dims). Activations may carry leading batch dims: x [..., T, D].

def read_deepseek2_hparams(m):
    """Set m's deepseek2 attributes from its metadata (m.key / m.meta, with n_embd, n_head, scaling read)."""
    m.kv_lora = m.key("attention.kv_lora_rank")
    m.rope_dim = m.key("rope.dimension_count")
    if f"{m.arch}.attention.key_length_mla" in m.meta:  # MLA layout: per-head widths in the _mla keys
        qk_head = m.key("attention.key_length_mla")
        m.v_head = m.key("attention.value_length_mla")
    else:  # legacy layout (attn_kv_b): per-head widths in the plain keys
        qk_head = m.key("attention.key_length")
        m.v_head = m.key("attention.value_length")
    m.nope = qk_head - m.rope_dim
    mscale = 1.0
    inv = 1.0 / m.freq_base ** (torch.arange(0, m.rope_dim, 2, dtype=torch.float64) / m.rope_dim)
    if m.scaling == "yarn":
        y = m.yarn
        inv = yarn_inv_freq(m.rope_dim, m.freq_base, y["factor"], y["original_ctx"], y["beta_fast"], y["beta_slow"])
        if y["factor"] > 1:
            mscale = 1.0 + float(m.key("rope.scaling.yarn_log_multiplier", 0.0)) * math.log(y["factor"])
    m.inv_freq = inv
    m.softmax_scale = qk_head ** -0.5 * mscale * mscale
    m.gating = m.key("expert_gating_func", GATING_SOFTMAX)
    if m.gating not in (GATING_SOFTMAX, GATING_SIGMOID):
        raise ValueError(f"expert_gating_func {m.gating} is not supported by this reference")
    m.n_used = m.key("expert_used_count", 0)
    m.n_group = m.key("expert_group_count", 1)
    m.n_group_used = m.key("expert_group_used_count", 1)
    m.weights_norm = bool(m.key("expert_weights_norm", False))
    m.weights_scale = float(m.key("expert_weights_scale", 1.0))


def mla_weights(m, w, blk):
    """(W_UK^T [H, kv_lora, nope], W_UV [H, v_head, kv_lora]) from attn_k_b/attn_v_b or legacy attn_kv_b."""
    if m.has(f"{blk}.attn_k_b.weight"):
        return w(f"{blk}.attn_k_b.weight"), w(f"{blk}.attn_v_b.weight")
    kv_b = w(f"{blk}.attn_kv_b.weight").view(m.n_head, m.nope + m.v_head, m.kv_lora)
    return kv_b[:, :m.nope, :].transpose(1, 2), kv_b[:, m.nope:, :]


def mla_attention(m, w, blk, h, cos, sin, mla="absorbed"):
    """Multi-head latent attention of one block on normed input h [..., T, D]; cos/sin [T, rope/2]."""
    *lead, T, _ = h.shape
    H, nope = m.n_head, m.nope
    if m.has(f"{blk}.attn_q_a.weight"):  # query LoRA (V3); V2-Lite has a plain attn_q
        c_q = rms_norm(h @ w(f"{blk}.attn_q_a.weight").T, w(f"{blk}.attn_q_a_norm.weight"), m.eps)
        q = c_q @ w(f"{blk}.attn_q_b.weight").T
    else:
        q = h @ w(f"{blk}.attn_q.weight").T
    q = q.view(*lead, T, H, nope + m.rope_dim)
    q_nope, q_pe = q[..., :nope], q[..., nope:]
    kv = h @ w(f"{blk}.attn_kv_a_mqa.weight").T
    c_kv = rms_norm(kv[..., :m.kv_lora], w(f"{blk}.attn_kv_a_norm.weight"), m.eps)  # [..., T, kv_lora]
    k_pe = kv[..., m.kv_lora:]                                                     # [..., T, rope], shared
    # DeepSeek: cos/sin unscaled, the YaRN temperature lives in softmax_scale.
    q_pe, k_pe = rotate_pairs(q_pe, cos[:, None, :], sin[:, None, :]), rotate_pairs(k_pe, cos, sin)
    k_b, v_b = mla_weights(m, w, blk)  # k_b[h] = W_UK[h]^T [kv_lora, nope]; v_b[h] = W_UV[h] [v_head, kv_lora]
    rope_scores = torch.einsum("...thr,...sr->...hts", q_pe, k_pe)
    if mla == "naive":
        k_nope = torch.einsum("...sc,hcd->...shd", c_kv, k_b)   # W_UK[h] c_kv(s)
        v = torch.einsum("...sc,hvc->...shv", c_kv, v_b)        # W_UV[h] c_kv(s)
        scores = (torch.einsum("...thd,...shd->...hts", q_nope, k_nope) + rope_scores) * m.softmax_scale
        o = torch.einsum("...hts,...shv->...thv", causal_softmax(scores), v)
    elif mla == "absorbed":
        q_abs = torch.einsum("...thd,hcd->...thc", q_nope, k_b)  # W_UK[h]^T q_nope, in latent space
        scores = (torch.einsum("...thc,...sc->...hts", q_abs, c_kv) + rope_scores) * m.softmax_scale
        o_lat = torch.einsum("...hts,...sc->...thc", causal_softmax(scores), c_kv)
        o = torch.einsum("...thc,hvc->...thv", o_lat, v_b)       # W_UV[h] o_lat
    else:
        raise ValueError(mla)
    return o.reshape(*lead, T, H * m.v_head) @ w(f"{blk}.attn_output.weight").T


def deepseek2_block(m, w, il, x, cos, sin, mla="absorbed"):
    """x + MLA(attn_norm x), then + (MoE or dense FFN)(ffn_norm x). x [..., T, D]."""
    blk = f"blk.{il}"
    x = x + mla_attention(m, w, blk, rms_norm(x, w(f"{blk}.attn_norm.weight"), m.eps), cos, sin, mla)
    h = rms_norm(x, w(f"{blk}.ffn_norm.weight"), m.eps)
    if m.has(f"{blk}.ffn_gate_inp.weight"):
        return x + moe(m, w, blk, h)
    return x + ffn(h, w(f"{blk}.ffn_gate.weight"), w(f"{blk}.ffn_up.weight"), w(f"{blk}.ffn_down.weight"))


def route(m, w, blk, h):
    """DeepSeek gate on h [N, D]: returns (weights [N, k], expert ids [N, k])."""
    logits = h @ w(f"{blk}.ffn_gate_inp.weight").T  # [N, E]
    scores = logits.sigmoid() if m.gating == GATING_SIGMOID else logits.softmax(dim=-1)
    bias_name = f"{blk}.exp_probs_b.bias"
    has_bias = m.has(bias_name)
    select = scores + w(bias_name) if has_bias else scores  # the bias only steers selection
    T, E = select.shape
    route_gaps = getattr(m, "route_gaps", None)
    if m.n_group > 1:
        grouped = select.view(T, m.n_group, E // m.n_group)
        group_scores = grouped.topk(2, dim=-1)[0].sum(dim=-1) if has_bias else grouped.amax(dim=-1)
        if route_gaps is not None:
            record_gap(route_gaps, group_scores, m.n_group_used)
        keep = group_scores.topk(m.n_group_used, dim=-1)[1]
        mask = torch.ones(T, m.n_group, dtype=torch.bool).scatter_(1, keep, False)
        select = grouped.masked_fill(mask[:, :, None], float("-inf")).flatten(1)
    if route_gaps is not None:
        # Softmax is monotonic: compare logits, whose precision does not shrink with the probabilities.
        record_gap(route_gaps, logits if m.gating == GATING_SOFTMAX and not has_bias else select, m.n_used)
    idx = select.topk(m.n_used, dim=-1)[1]
    weights = scores.gather(1, idx)
    if m.weights_norm:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights * m.weights_scale, idx


def record_gap(gaps, keys, k):
    """Smallest margin between the k-th and (k+1)-th selection key over all tokens (how close routing is to a tie)."""
    if k < keys.shape[-1]:
        top = keys.topk(k + 1, dim=-1)[0]
        gaps.append(float((top[:, k - 1] - top[:, k]).min()))


def moe(m, w, blk, h):
    """Routed experts (weighted) plus the shared expert, on h [..., D]."""
    shape = h.shape
    h = h.reshape(-1, shape[-1])
    weights, idx = route(m, w, blk, h)
    if getattr(m, "expert_counts", None) is not None:  # training: per-expert load for the bias update
        m.expert_counts[blk] = torch.bincount(idx.flatten(), minlength=w(f"{blk}.ffn_gate_inp.weight").shape[0])
    gate, up = w(f"{blk}.ffn_gate_exps.weight"), w(f"{blk}.ffn_up_exps.weight")
    down = w(f"{blk}.ffn_down_exps.weight")
    y = torch.zeros_like(h)
    for e in range(gate.shape[0]):
        rows, slot = torch.where(idx == e)
        if len(rows):
            y = y.index_add(0, rows, weights[rows, slot, None] * ffn(h[rows], gate[e], up[e], down[e]))
    if m.has(f"{blk}.ffn_gate_shexp.weight"):
        y = y + ffn(h, w(f"{blk}.ffn_gate_shexp.weight"), w(f"{blk}.ffn_up_shexp.weight"),
                    w(f"{blk}.ffn_down_shexp.weight"))
    return y.reshape(shape)


def mtp_logits(m, w, h, next_embed, cos, sin, mla="absorbed"):
    """The NextN (MTP) block, DeepSeek-V3 tech report eqs. 21-23 in vLLM's checkpoint order: row i combines the
    main model's hidden state h_i (after output_norm, as vLLM passes it) with the embedding of token i+1:
    x = eh_proj([enorm(emb_{i+1}) ; hnorm(output_norm(h_i))]), one decoder block at positions 0..T-1,
    then shared_head_norm and the shared output head. h, next_embed [..., T, D] -> logits [..., T, V]."""
    blk = f"blk.{m.n_layer}"
    g = rms_norm(rms_norm(h, w("output_norm.weight"), m.eps), w(f"{blk}.nextn.hnorm.weight"), m.eps)
    e = rms_norm(next_embed, w(f"{blk}.nextn.enorm.weight"), m.eps)
    x = torch.cat([e, g], dim=-1) @ w(f"{blk}.nextn.eh_proj.weight").T
    x = deepseek2_block(m, w, m.n_layer, x, cos, sin, mla)
    head = "output.weight" if m.has("output.weight") else "token_embd.weight"
    return rms_norm(x, w(f"{blk}.nextn.shared_head_norm.weight"), m.eps) @ w(head).T
