// The deepseek2 decoder: h += MLA(attn_norm(h)); h += (dense FFN or MoE)(ffn_norm(h)).
#include "models/deepseek2.h"

#include <optional>

#include "base/scratch.h"
#include "kernels/ops.h"
#include "models/mla.h"
#include "models/moe.h"
#include "models/rope_freqs.h"
#include "models/weights.h"

namespace baleen {
namespace {

struct Deepseek2Layer {
  MlaWeights attn;
  std::vector<float> ffn_norm;
  bool moe = false;
  FfnWeights dense;
  MoeWeights experts;
};

// The NextN block: e = enorm(embed(t+1)), g = hnorm(h), x = eh_proj([e ; g]), one decoder layer, then
// shared_head_norm and the shared output head. Loaded and kept; speculative decoding runs it (a later step).
struct MtpWeights {
  Deepseek2Layer layer;
  WeightMatrix eh_proj;
  std::vector<float> enorm, hnorm, shared_head_norm;
};

Result<Deepseek2Layer> LoadLayer(const WeightLoader& w, int64_t i, const ModelConfig& c) {
  Deepseek2Layer l;
  ASSIGN_OR_RETURN(l.attn, LoadMla(w, i, c));
  ASSIGN_OR_RETURN(l.ffn_norm, w.Vector(BlockTensor(i, "ffn_norm.weight"), c.dim));
  l.moe = c.has_moe && i >= c.moe.n_dense_layers;
  if (l.moe) {
    ASSIGN_OR_RETURN(l.experts, LoadMoe(w, i, c));
  } else {
    ASSIGN_OR_RETURN(l.dense.gate, w.Matrix(BlockTensor(i, "ffn_gate.weight"), {c.dim, c.inter_dim}));
    ASSIGN_OR_RETURN(l.dense.up, w.Matrix(BlockTensor(i, "ffn_up.weight"), {c.dim, c.inter_dim}));
    ASSIGN_OR_RETURN(l.dense.down, w.Matrix(BlockTensor(i, "ffn_down.weight"), {c.inter_dim, c.dim}));
  }
  return l;
}

Result<MtpWeights> LoadMtp(const WeightLoader& w, const ModelConfig& c) {
  const int64_t i = c.n_layers;
  MtpWeights m;
  ASSIGN_OR_RETURN(m.layer, LoadLayer(w, i, c));
  ASSIGN_OR_RETURN(m.eh_proj, w.Matrix(BlockTensor(i, "nextn.eh_proj.weight"), {2 * c.dim, c.dim}));
  ASSIGN_OR_RETURN(m.enorm, w.Vector(BlockTensor(i, "nextn.enorm.weight"), c.dim));
  ASSIGN_OR_RETURN(m.hnorm, w.Vector(BlockTensor(i, "nextn.hnorm.weight"), c.dim));
  ASSIGN_OR_RETURN(m.shared_head_norm, w.Vector(BlockTensor(i, "nextn.shared_head_norm.weight"), c.dim));
  return m;
}

Status CheckConfig(const ModelConfig& c) {
  if (!c.has_mla) return Unimplemented("deepseek2 files without MLA keys are not supported");
  if (c.has_moe) {
    const MoeConfig& m = c.moe;
    if (m.n_expert_groups < 1 || m.n_routed_experts % m.n_expert_groups != 0 || m.n_limited_groups < 1 ||
        m.n_limited_groups > m.n_expert_groups || m.n_activated_experts < 1 ||
        m.n_activated_experts > m.n_routed_experts) {
      return InvalidArgument("inconsistent MoE configuration: " + std::to_string(m.n_routed_experts) +
                             " experts in " + std::to_string(m.n_expert_groups) + " groups, " +
                             std::to_string(m.n_limited_groups) + " groups and " +
                             std::to_string(m.n_activated_experts) + " experts used per token");
    }
  }
  return Status::Ok();
}

class Deepseek2Model : public Model {
 public:
  Deepseek2Model(ModelConfig config, ModelOptions options)
      : Model(std::move(config), options), mla_(config_, MakeRope(config_, nullptr)) {}

  Status Load(const WeightLoader& w) {
    RETURN_IF_ERROR(CheckConfig(config_));
    RETURN_IF_ERROR(LoadCommon(w));
    for (int64_t i = 0; i < config_.n_layers; ++i) {
      ASSIGN_OR_RETURN(Deepseek2Layer layer, LoadLayer(w, i, config_));
      layers_.push_back(std::move(layer));
    }
    if (config_.n_mtp_layers > 0) {
      ASSIGN_OR_RETURN(mtp_, LoadMtp(w, config_));
    }
    return Status::Ok();
  }

  CacheGeometry CacheRowsPerPosition() const override {
    return {config_.n_layers, config_.mla.kv_lora_rank + config_.mla.qk_rope_head_dim, 0};
  }

 protected:
  void Layer(int64_t i, float* x, const BatchRows& batch) override {
    const Deepseek2Layer& l = layers_[i];
    const int64_t n = batch.n, dim = config_.dim;
    const float eps = static_cast<float>(config_.rms_norm_eps);
    ScratchVector<float> xn(static_cast<size_t>(n * dim));
    RmsNormRows(x, l.attn.attn_norm.data(), n, dim, eps, xn.data());
    mla_.Forward(l.attn, i, xn.data(), batch, options_.mla_mode, x);
    RmsNormRows(x, l.ffn_norm.data(), n, dim, eps, xn.data());
    if (l.moe) {
      AddMoe(l.experts, config_.moe, xn.data(), n, dim, x);
    } else {
      AddFfn(l.dense, xn.data(), n, 1.0f, x);
    }
  }

 private:
  MlaAttention mla_;
  std::vector<Deepseek2Layer> layers_;
  std::optional<MtpWeights> mtp_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadDeepseek2(const GgufModel& gguf, const ModelConfig& config,
                                             const ModelOptions& options) {
  auto model = std::make_unique<Deepseek2Model>(config, options);
  RETURN_IF_ERROR(model->Load(WeightLoader(gguf, model->packs_for_loading())));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace baleen
