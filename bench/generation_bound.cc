// Weight bytes per generated token, from the tensor table and the resolved configuration.
#include "bench/generation_bound.h"

#include <charconv>
#include <string_view>

namespace baleen {
namespace {

// The block index of "blk.<i>.…", or -1 for a tensor outside the blocks.
int64_t BlockIndex(std::string_view name) {
  constexpr std::string_view kPrefix = "blk.";
  if (!name.starts_with(kPrefix)) return -1;
  int64_t index = -1;
  std::from_chars(name.data() + kPrefix.size(), name.data() + name.size(), index);
  return index;
}

bool IsRoutedExpertStack(std::string_view name) {
  return name.find("_exps.") != std::string_view::npos;
}

}  // namespace

uint64_t WeightBytesPerToken(const GgufModel& gguf, const ModelConfig& config) {
  const bool tied = gguf.FindTensor("output.weight") == nullptr;
  const double expert_share =
      config.has_moe && config.moe.n_routed_experts > 0
          ? static_cast<double>(config.moe.n_activated_experts) / static_cast<double>(config.moe.n_routed_experts)
          : 1.0;
  double bytes = 0;
  for (const GgufTensorInfo* t : gguf.tensors()) {
    if (t->name == "token_embd.weight" && !tied) continue;
    if (BlockIndex(t->name) >= config.n_layers) continue;  // an MTP block
    const double size = static_cast<double>(t->size_bytes);
    bytes += IsRoutedExpertStack(t->name) ? size * expert_share : size;
  }
  return static_cast<uint64_t>(bytes);
}

}  // namespace baleen
