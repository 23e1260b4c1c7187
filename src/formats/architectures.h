// The architecture registry, formats half: one row per Architecture holding everything the formats layer knows
// about it (its GGUF name and metadata reader, its Hugging Face class names, config.json mapping and tensor-plan
// rules, its RoPE style and tokenizer family) and whether Baleen runs it. Formats layer. Inspect, convert, the tiny
// models and the tests iterate over these rows; the models half (models/model_registry.h) adds the forward pass.
// Adding an architecture: docs/CONTRIBUTING.md, "An architecture".
#pragma once

#include <span>
#include <string>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"
#include "formats/model_config.h"

namespace baleen {

class ParamReader;     // model_config.cc: reads "<arch>.<key>" values, recording each resolution
class HfConfigReader;  // hf/hf_config.cc: reads config.json fields with messages naming the field
class HfMetadata;      // hf/hf_config.cc: collects the <arch>.* keys llama.cpp's converter writes
struct HfModelShape;

// GGUF metadata -> the architecture's ModelConfig fields (after the keys every architecture shares).
using GgufConfigReaderFn = Status (*)(ParamReader& r, const GgufModel& model, ModelConfig& c);
// config.json -> the architecture's shape fields and <arch>.* keys (after the shared ones).
using HfConfigMapperFn = Status (*)(const HfConfigReader& r, HfModelShape& s, HfMetadata& m);

// Runnable: a loader and forward pass, a Hugging Face mapping, tiny models and reference goldens. Metadata only:
// ResolveModelConfig reads (and inspect shows) its keys; everything that would run it answers NotRunnable().
enum class ArchitectureStatus { kRunnable, kMetadataOnly };

struct ArchitectureInfo {
  Architecture arch;
  const char* name;  // general.architecture, as llama.cpp spells it
  ArchitectureStatus status;
  GgufConfigReaderFn read_gguf;
  // Hugging Face: the config.json `architectures` class names, and the mapping (nullptr when metadata only).
  std::span<const char* const> hf_names;
  HfConfigMapperFn map_hf;
  bool mla;               // multi-head latent attention: one latent KV head, DeepSeek's YaRN attention temperature
  bool mtp;               // checkpoints carry DeepSeek-V3's MTP block after the main layers (num_nextn_predict_layers)
  bool hf_permute_qk;     // llama.cpp's converter permutes HF q/k rows for NORM RoPE (llama)
  bool hf_llama3_rope;    // rope_scaling type "llama3" becomes rope_freqs.weight (llama)
  bool rope_neox;         // RoPE rotates the two halves of a head (NeoX) rather than adjacent pairs (qwen2/qwen3)
  const char* pre_tokenizer;  // tokenizer.ggml.pre of the family, preferred by convert among equal splits

  bool runnable() const { return status == ArchitectureStatus::kRunnable; }
};

// The readers and mappers the rows name, one per architecture or family (model_config.cc, hf/hf_config.cc).
Status ReadDeepseek2Metadata(ParamReader& r, const GgufModel& model, ModelConfig& c);
Status ReadDeepseek32Metadata(ParamReader& r, const GgufModel& model, ModelConfig& c);
Status ReadDeepseek4Metadata(ParamReader& r, const GgufModel& model, ModelConfig& c);
Status ReadDenseMetadata(ParamReader& r, const GgufModel& model, ModelConfig& c);
Status MapDeepseekHfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m);
Status MapQwen2HfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m);
Status MapLlamaHfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m);
Status MapQwen3HfConfig(const HfConfigReader& r, HfModelShape& s, HfMetadata& m);

// Every row, in Architecture order.
std::span<const ArchitectureInfo> Architectures();
const ArchitectureInfo& ArchitectureInfoFor(Architecture arch);
// The row whose name (or, for FindHfArchitecture, one of whose Hugging Face class names) matches, or nullptr.
const ArchitectureInfo* FindArchitecture(std::string_view gguf_name);
const ArchitectureInfo* FindHfArchitecture(std::string_view hf_name);

// "deepseek2, qwen2, llama, qwen3": the names of the runnable (or metadata-only) rows, for messages.
std::string ArchitectureNames(ArchitectureStatus status);
// ArchitectureName and NotRunnable (model_config.h, where every holder of a ModelConfig sees them) read the rows too.

}  // namespace baleen
