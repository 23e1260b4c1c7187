"""A trainable deepseek2 (DeepSeek-V3 architecture) for PyTorch: float32 parameters named exactly as the GGUF
tensors they become, run through the same block functions as the reference forward pass (model.py), so the model
that is trained and the model that checks the engine are one definition.

  meta = {"general.architecture": "deepseek2", "deepseek2.embedding_length": 128, ...}   # GGUF metadata keys
  net = TrainableDeepseek2(meta, vocab_size=512)
  logits, mtp_logits = net(tokens)            # tokens [B, T] -> [B, T, V], [B, T-1, V] (MTP: token t+2)
  net.update_expert_bias(gamma)               # DeepSeek-V3 auxiliary-loss-free balancing, after each step
  weights = net.gguf_weights()                # {tensor name: float32 numpy array, numpy order = reversed dims}

The layer layout follows llama.cpp's deepseek2 converter (gguf-schema.md section 5): MLA with attn_k_b/attn_v_b,
dense FFN in the first `leading_dense_block_count` blocks, MoE (ffn_gate_inp, exp_probs_b, *_exps, *_shexp) after,
and with nextn_predict_layers = 1 one MTP block at index n_layer (a MoE block plus nextn.{eh_proj, enorm, hnorm,
shared_head_norm}; embedding and output head shared with the main model).
"""
import math
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import model as ref  # noqa: E402


def deepseek2_shapes(meta, vocab_size):
    """{GGUF tensor name: numpy-order shape} of a deepseek2 model with MLA tensors (attn_k_b / attn_v_b)."""
    a = "deepseek2"
    k = lambda name, default=None: meta.get(f"{a}.{name}", default)  # noqa: E731
    D, H = k("embedding_length"), k("attention.head_count")
    rope = k("rope.dimension_count")
    nope, v_head = k("attention.key_length_mla") - rope, k("attention.value_length_mla")
    q_lora, kv_lora = k("attention.q_lora_rank"), k("attention.kv_lora_rank")
    E, F, n_shared = k("expert_count"), k("expert_feed_forward_length"), k("expert_shared_count", 0)
    n_mtp = k("nextn_predict_layers", 0)
    n_layer = k("block_count") - n_mtp
    shapes = {"token_embd.weight": (vocab_size, D)}
    for il in range(n_layer + n_mtp):
        blk = f"blk.{il}"
        shapes.update({f"{blk}.attn_norm.weight": (D,),
                       f"{blk}.attn_q_a.weight": (q_lora, D), f"{blk}.attn_q_a_norm.weight": (q_lora,),
                       f"{blk}.attn_q_b.weight": (H * (nope + rope), q_lora),
                       f"{blk}.attn_kv_a_mqa.weight": (kv_lora + rope, D), f"{blk}.attn_kv_a_norm.weight": (kv_lora,),
                       f"{blk}.attn_k_b.weight": (H, kv_lora, nope), f"{blk}.attn_v_b.weight": (H, v_head, kv_lora),
                       f"{blk}.attn_output.weight": (D, H * v_head), f"{blk}.ffn_norm.weight": (D,)})
        if il < k("leading_dense_block_count"):
            ff = k("feed_forward_length")
            shapes.update({f"{blk}.ffn_gate.weight": (ff, D), f"{blk}.ffn_up.weight": (ff, D),
                           f"{blk}.ffn_down.weight": (D, ff)})
        else:
            shapes.update({f"{blk}.ffn_gate_inp.weight": (E, D), f"{blk}.exp_probs_b.bias": (E,),
                           f"{blk}.ffn_gate_exps.weight": (E, F, D), f"{blk}.ffn_up_exps.weight": (E, F, D),
                           f"{blk}.ffn_down_exps.weight": (E, D, F)})
            if n_shared:
                S = n_shared * F
                shapes.update({f"{blk}.ffn_gate_shexp.weight": (S, D), f"{blk}.ffn_up_shexp.weight": (S, D),
                               f"{blk}.ffn_down_shexp.weight": (D, S)})
        if il >= n_layer:
            shapes.update({f"{blk}.nextn.eh_proj.weight": (D, 2 * D), f"{blk}.nextn.enorm.weight": (D,),
                           f"{blk}.nextn.hnorm.weight": (D,), f"{blk}.nextn.shared_head_norm.weight": (D,)})
    shapes.update({"output_norm.weight": (D,), "output.weight": (vocab_size, D)})
    return shapes


def _key(name):
    return name.replace(".", "__")  # module attribute names may not contain dots


class TrainableDeepseek2(torch.nn.Module, ref.MetaKeys):
    def __init__(self, meta, vocab_size, init_std=0.02, seed=None):
        torch.nn.Module.__init__(self)
        self.meta, self.arch = dict(meta), meta["general.architecture"]
        if self.arch != "deepseek2":
            raise ValueError("only deepseek2 is trainable here")
        self.read_common_hparams()
        ref.read_deepseek2_hparams(self)
        self.dtype = torch.float32
        self.n_mtp = self.key("nextn_predict_layers", 0)
        self.expert_counts = None  # {blk: per-expert selection counts} while collecting (training)
        self.shapes = deepseek2_shapes(self.meta, vocab_size)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        n_residual = 2 * (self.n_layer + self.n_mtp)
        params = {}
        for name, shape in self.shapes.items():
            if name.endswith("norm.weight"):
                t = torch.ones(shape)
            elif name.endswith("exp_probs_b.bias"):
                t = torch.zeros(shape)
            else:
                std = init_std
                if name.endswith(("attn_output.weight", "ffn_down.weight", "ffn_down_exps.weight",
                                  "ffn_down_shexp.weight")):
                    std = init_std / math.sqrt(n_residual)  # GPT-2: residual projections scaled by depth
                t = torch.randn(shape, generator=gen) * std
            # The selection bias is not learned by gradient; update_expert_bias moves it.
            params[_key(name)] = torch.nn.Parameter(t, requires_grad=not name.endswith("exp_probs_b.bias"))
        self.params = torch.nn.ParameterDict(params)

    def w(self, name):
        return self.params[_key(name)]

    def has(self, name):
        return _key(name) in self.params

    def cos_sin(self, T):
        angles = torch.arange(T, dtype=torch.float64)[:, None] * self.inv_freq[None, :]
        return torch.cos(angles).float(), torch.sin(angles).float()

    def forward(self, tokens, with_mtp=True):
        """tokens [B, T] -> main logits [B, T, V] and (nextn models, with_mtp) MTP logits [B, T-1, V]."""
        embed = self.w("token_embd.weight")
        x = embed[tokens]
        cos, sin = self.cos_sin(tokens.shape[-1])
        for il in range(self.n_layer):
            x = ref.deepseek2_block(self, self.w, il, x, cos, sin)
        logits = ref.rms_norm(x, self.w("output_norm.weight"), self.eps) @ self.w("output.weight").T
        if not (with_mtp and self.n_mtp):
            return logits, None
        mtp = ref.mtp_logits(self, self.w, x[..., :-1, :], embed[tokens[..., 1:]], cos[:-1], sin[:-1])
        return logits, mtp

    @torch.no_grad()
    def update_expert_bias(self, gamma):
        """DeepSeek-V3 auxiliary-loss-free load balancing (tech report section 2.1.2): after each step, every
        expert's selection bias moves by gamma toward balance, b_e += gamma * sign(mean load - load_e)."""
        for blk, counts in (self.expert_counts or {}).items():
            load = counts.float()
            self.w(f"{blk}.exp_probs_b.bias").add_(gamma * torch.sign(load.mean() - load))

    def gguf_weights(self):
        return {name: self.w(name).detach().float().numpy().astype(np.float32) for name in self.shapes}
