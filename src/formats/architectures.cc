// The architecture registry's rows: what each architecture is in GGUF, in Hugging Face checkpoints and at run time.
// Formats layer. The flags record where the published converters and model code differ per architecture
// (llama.cpp's convert_hf_to_gguf, DeepSeek's inference/model.py, Hugging Face's modeling_*.py).
#include "formats/architectures.h"

namespace baleen {
namespace {

constexpr const char* kDeepseek2Hf[] = {"DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"};
// Recognized so that convert gives NotRunnable's message rather than "unknown architecture".
constexpr const char* kDeepseek32Hf[] = {"DeepseekV32ForCausalLM"};
constexpr const char* kQwen2Hf[] = {"Qwen2ForCausalLM"};
constexpr const char* kLlamaHf[] = {"LlamaForCausalLM"};
constexpr const char* kQwen3Hf[] = {"Qwen3ForCausalLM"};

constexpr ArchitectureStatus kRunnable = ArchitectureStatus::kRunnable;
constexpr ArchitectureStatus kMetadataOnly = ArchitectureStatus::kMetadataOnly;

constexpr ArchitectureInfo kRows[] = {
    {.arch = Architecture::kDeepseek2, .name = "deepseek2", .status = kRunnable,
     .read_gguf = ReadDeepseek2Metadata, .hf_names = kDeepseek2Hf, .map_hf = MapDeepseekHfConfig, .mla = true,
     .mtp = true, .hf_permute_qk = false, .hf_llama3_rope = false, .rope_neox = false,
     .pre_tokenizer = "deepseek-v3"},
    {.arch = Architecture::kDeepseek32, .name = "deepseek32", .status = kMetadataOnly,
     .read_gguf = ReadDeepseek32Metadata, .hf_names = kDeepseek32Hf, .map_hf = nullptr, .mla = true, .mtp = true,
     .hf_permute_qk = false, .hf_llama3_rope = false, .rope_neox = false, .pre_tokenizer = "deepseek-v3"},
    {.arch = Architecture::kDeepseek4, .name = "deepseek4", .status = kMetadataOnly,
     .read_gguf = ReadDeepseek4Metadata, .hf_names = {}, .map_hf = nullptr, .mla = true, .mtp = true,
     .hf_permute_qk = false, .hf_llama3_rope = false, .rope_neox = false, .pre_tokenizer = "deepseek-v3"},
    {.arch = Architecture::kQwen2, .name = "qwen2", .status = kRunnable, .read_gguf = ReadDenseMetadata,
     .hf_names = kQwen2Hf, .map_hf = MapQwen2HfConfig, .mla = false, .mtp = false, .hf_permute_qk = false,
     .hf_llama3_rope = false, .rope_neox = true, .pre_tokenizer = "deepseek-r1-qwen"},
    {.arch = Architecture::kLlama, .name = "llama", .status = kRunnable, .read_gguf = ReadDenseMetadata,
     .hf_names = kLlamaHf, .map_hf = MapLlamaHfConfig, .mla = false, .mtp = false, .hf_permute_qk = true,
     .hf_llama3_rope = true, .rope_neox = false, .pre_tokenizer = "llama-bpe"},
    {.arch = Architecture::kQwen3, .name = "qwen3", .status = kRunnable, .read_gguf = ReadDenseMetadata,
     .hf_names = kQwen3Hf, .map_hf = MapQwen3HfConfig, .mla = false, .mtp = false, .hf_permute_qk = false,
     .hf_llama3_rope = false, .rope_neox = true, .pre_tokenizer = "qwen2"},
};

// Rows in enum order, so ArchitectureInfoFor is an index.
constexpr bool InEnumOrder() {
  for (size_t i = 0; i < std::size(kRows); ++i) {
    if (static_cast<size_t>(kRows[i].arch) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kRows must list every Architecture in enum order");

}  // namespace

std::span<const ArchitectureInfo> Architectures() { return kRows; }

const ArchitectureInfo& ArchitectureInfoFor(Architecture arch) { return kRows[static_cast<size_t>(arch)]; }

const char* ArchitectureName(Architecture arch) {
  const auto i = static_cast<size_t>(arch);
  return i < std::size(kRows) ? kRows[i].name : "unknown";
}

const ArchitectureInfo* FindArchitecture(std::string_view gguf_name) {
  for (const ArchitectureInfo& row : kRows) {
    if (gguf_name == row.name) return &row;
  }
  return nullptr;
}

const ArchitectureInfo* FindHfArchitecture(std::string_view hf_name) {
  for (const ArchitectureInfo& row : kRows) {
    for (const char* name : row.hf_names) {
      if (hf_name == name) return &row;
    }
  }
  return nullptr;
}

std::string ArchitectureNames(ArchitectureStatus status) {
  std::string names;
  for (const ArchitectureInfo& row : kRows) {
    if (row.status != status) continue;
    names += (names.empty() ? "" : ", ") + std::string(row.name);
  }
  return names;
}

Status NotRunnable(Architecture arch) {
  if (ArchitectureInfoFor(arch).runnable()) return Status::Ok();
  return Unimplemented(std::string("architecture '") + ArchitectureName(arch) +
                       "' is recognized but its forward pass is not implemented yet (Baleen reads its GGUF metadata; "
                       "it runs " + ArchitectureNames(ArchitectureStatus::kRunnable) + ")");
}

}  // namespace baleen
