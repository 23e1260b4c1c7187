// `baleen inspect`: what the engine will see in a model file, as text or one JSON object. Tools layer.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "base/format_bytes.h"
#include "formats/gguf/gguf_model.h"
#include "formats/hf/hf_model.h"
#include "formats/model_config.h"
#include "formats/tokenizer_info.h"

namespace baleen::cli {
namespace {

constexpr const char* kInspectUsage =
    "usage: baleen inspect MODEL.gguf [--json] [--tensors] [--metadata]\n"
    "  MODEL.gguf   a GGUF file, or the first shard (NAME-00001-of-0000N.gguf) of a split model\n"
    "  --json       print one JSON object instead of text\n"
    "  --tensors    include the tensor table (name, type, shape, bytes)\n"
    "  --metadata   include every raw metadata key\n";

struct InspectOptions {
  std::string path;
  bool json = false;
  bool tensors = false;
  bool metadata = false;
};

struct TensorStats {
  int64_t n_params = 0;
  uint64_t tensor_bytes = 0;
  std::map<std::string, int> type_counts;
};

TensorStats ComputeStats(const GgufModel& model) {
  TensorStats stats;
  for (const GgufTensorInfo* t : model.tensors()) {
    stats.n_params += t->n_elements();
    stats.tensor_bytes += t->size_bytes;
    stats.type_counts[GgmlTypeName(t->type)]++;
  }
  return stats;
}

nlohmann::json ParamJson(const ResolvedParam& p) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, p.value);
}

nlohmann::json TokenizerJson(const TokenizerInfo& info) {
  if (!info.present) return nullptr;
  nlohmann::json j = {{"model", info.model}, {"pre", info.pre}, {"vocab_size", info.vocab_size},
                      {"n_merges", info.n_merges}, {"n_control_tokens", info.n_control_tokens},
                      {"n_user_defined_tokens", info.n_user_defined_tokens}};
  auto special = [&](const char* name, const std::optional<SpecialToken>& token) {
    j[std::string(name) + "_token_id"] = token ? nlohmann::json(token->id) : nlohmann::json(nullptr);
    if (token) j[std::string(name) + "_token"] = token->text;
  };
  special("bos", info.bos);
  special("eos", info.eos);
  special("padding", info.pad);
  special("unknown", info.unk);
  j["add_bos_token"] = info.add_bos ? nlohmann::json(*info.add_bos) : nlohmann::json(nullptr);
  j["add_eos_token"] = info.add_eos ? nlohmann::json(*info.add_eos) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json MetadataValueJson(const GgufValue& value) {
  if (const std::string* s = value.AsString()) return *s;
  if (const GgufArray* array = value.AsArray()) {
    return {{"type", "ARRAY"}, {"element_type", GgufValueTypeName(array->element_type())}, {"length", array->size()},
            {"preview", value.ToDisplayString(8)}};
  }
  if (auto b = value.AsBool()) return *b;
  if (value.type() == GgufValueType::kFloat32 || value.type() == GgufValueType::kFloat64) return *value.AsDouble();
  if (auto i = value.AsInt()) return *i;
  return *value.AsUint();
}

nlohmann::json BuildJson(const InspectOptions& options, const GgufModel& model, const ModelConfig& config,
                         const TokenizerInfo& tokenizer) {
  const TensorStats stats = ComputeStats(model);
  nlohmann::json hyper = nlohmann::json::object();
  nlohmann::json derived = nlohmann::json::object();
  nlohmann::json defaults = nlohmann::json::array();
  for (const ResolvedParam& p : config.params) {
    if (p.source == ParamSource::kDerived) {
      derived[p.key] = ParamJson(p);
      continue;
    }
    hyper[p.key] = ParamJson(p);
    if (p.source == ParamSource::kDefault) defaults.push_back(p.key);
  }
  nlohmann::json j = {
      {"path", options.path},
      {"gguf_version", model.first().version()},
      {"n_shards", model.shards().size()},
      {"architecture", ArchitectureName(config.arch)},
      {"runnable", NotRunnable(config.arch).ok()},
      {"hyperparameters", hyper},
      {"defaulted_hyperparameters", defaults},
      {"derived", derived},
      {"tokenizer", TokenizerJson(tokenizer)},
      {"chat_template", tokenizer.has_chat_template},
      {"n_params", stats.n_params},
      {"n_tensors", model.tensors().size()},
      {"file_size_bytes", model.total_file_bytes()},
      {"tensor_bytes", stats.tensor_bytes},
      {"bits_per_weight", stats.n_params > 0 ? 8.0 * static_cast<double>(stats.tensor_bytes) / stats.n_params : 0.0},
      {"tensor_types", stats.type_counts},
  };
  // A metadata-only architecture is inspected in full; the message says why `run` would refuse it.
  if (const Status runnable = NotRunnable(config.arch); !runnable.ok()) j["not_runnable"] = runnable.message();
  if (options.tensors) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const GgufTensorInfo* t : model.tensors()) {
      tensors.push_back({{"name", t->name}, {"type", GgmlTypeName(t->type)}, {"shape", t->dims},
                         {"bytes", t->size_bytes}});
    }
    j["tensors"] = tensors;
  }
  if (options.metadata) {
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& shard : model.shards()) {
      for (const GgufKeyValue& kv : shard->metadata()) metadata[kv.key] = MetadataValueJson(kv.value);
    }
    j["metadata"] = metadata;
  }
  return j;
}

std::string ParamText(const ResolvedParam& p) {
  const nlohmann::json v = ParamJson(p);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void PrintText(const InspectOptions& options, const GgufModel& model, const ModelConfig& config,
               const TokenizerInfo& tokenizer) {
  const TensorStats stats = ComputeStats(model);
  std::printf("file:           %s", options.path.c_str());
  if (model.shards().size() > 1) std::printf(" (+%zu more shards)", model.shards().size() - 1);
  std::printf("\nformat:         GGUF v%u, %s\n", model.first().version(), FormatBytes(model.total_file_bytes()).c_str());
  std::printf("architecture:   %s\n", ArchitectureName(config.arch));
  if (const Status runnable = NotRunnable(config.arch); !runnable.ok()) {
    std::printf("runnable:       no: %s\n", runnable.message().c_str());
  }
  std::printf("hyperparameters:\n");
  for (const ResolvedParam& p : config.params) {
    std::printf("  %-42s %-14s%s\n", p.key.c_str(), ParamText(p).c_str(),
                p.source == ParamSource::kFile ? "" : (std::string("(") + ParamSourceName(p.source) + ")").c_str());
  }
  if (tokenizer.present) {
    std::printf("tokenizer:      %s, pre-tokenizer '%s', %lld tokens, %lld merges, %lld control\n",
                tokenizer.model.c_str(), tokenizer.pre.c_str(), static_cast<long long>(tokenizer.vocab_size),
                static_cast<long long>(tokenizer.n_merges), static_cast<long long>(tokenizer.n_control_tokens));
    for (const auto& [name, token] : {std::pair{"bos", tokenizer.bos}, std::pair{"eos", tokenizer.eos},
                                      std::pair{"pad", tokenizer.pad}, std::pair{"unk", tokenizer.unk}}) {
      if (token) std::printf("  %-4s %7lld  %s\n", name, static_cast<long long>(token->id), token->text.c_str());
    }
    std::printf("  add_bos %s, add_eos %s\n", tokenizer.add_bos ? (*tokenizer.add_bos ? "true" : "false") : "unset",
                tokenizer.add_eos ? (*tokenizer.add_eos ? "true" : "false") : "unset");
  } else {
    std::printf("tokenizer:      none\n");
  }
  std::printf("chat template:  %s\n",
              tokenizer.has_chat_template ? ("present (" + std::to_string(tokenizer.chat_template_bytes) + " bytes)").c_str()
                                          : "absent");
  std::printf("tensors:        %zu, %.3f M parameters, %s of weights, %.3f bits per weight\n", model.tensors().size(),
              static_cast<double>(stats.n_params) / 1e6, FormatBytes(stats.tensor_bytes).c_str(),
              stats.n_params > 0 ? 8.0 * static_cast<double>(stats.tensor_bytes) / stats.n_params : 0.0);
  std::printf("tensor types:  ");
  for (const auto& [type, count] : stats.type_counts) std::printf(" %s×%d", type.c_str(), count);
  std::printf("\n");
  if (options.tensors) {
    std::printf("\n%-44s %-8s %-24s %12s\n", "name", "type", "shape", "bytes");
    for (const GgufTensorInfo* t : model.tensors()) {
      std::printf("%-44s %-8s %-24s %12llu\n", t->name.c_str(), GgmlTypeName(t->type), t->ShapeString().c_str(),
                  static_cast<unsigned long long>(t->size_bytes));
    }
  }
  if (options.metadata) {
    std::printf("\nmetadata:\n");
    for (const auto& shard : model.shards()) {
      for (const GgufKeyValue& kv : shard->metadata()) {
        std::printf("  %-50s %-8s %s\n", kv.key.c_str(), GgufValueTypeName(kv.value.type()),
                    kv.value.ToDisplayString().c_str());
      }
    }
  }
}

int ParseInspectArgs(const std::vector<std::string>& args, InspectOptions& options) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kInspectUsage, stdout);
      return 0;
    }
    if (arg == "--json") {
      options.json = true;
    } else if (arg == "--tensors") {
      options.tensors = true;
    } else if (arg == "--metadata") {
      options.metadata = true;
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "baleen inspect: unknown option '%s'\n%s", arg.c_str(), kInspectUsage);
      return 2;
    } else if (options.path.empty()) {
      options.path = arg;
    } else {
      std::fprintf(stderr, "baleen inspect: only one model path is accepted\n%s", kInspectUsage);
      return 2;
    }
  }
  if (options.path.empty()) {
    std::fputs(kInspectUsage, stderr);
    return 2;
  }
  return -1;
}

}  // namespace

int RunInspect(const std::vector<std::string>& args) {
  InspectOptions options;
  if (const int code = ParseInspectArgs(args, options); code >= 0) return code;
  Result<std::unique_ptr<GgufModel>> model = OpenModelPath(options.path);  // GGUF or Hugging Face folder
  if (!model.ok()) return Fail(model.status());
  Result<ModelConfig> config = ResolveModelConfig(**model);
  if (!config.ok()) return Fail(config.status());
  Result<TokenizerInfo> tokenizer = ReadTokenizerInfo(**model);
  if (!tokenizer.ok()) return Fail(tokenizer.status().WithContext(options.path));
  if (options.json) {
    std::printf("%s\n", BuildJson(options, **model, *config, *tokenizer).dump(2).c_str());
  } else {
    PrintText(options, **model, *config, *tokenizer);
  }
  return 0;
}

}  // namespace baleen::cli
