// `baleen convert DIR OUT.gguf` (a Hugging Face folder to GGUF in llama.cpp's schema) and `baleen quantize IN OUT
// TYPE` (re-quantize a GGUF). Tools layer: the formats layer does the conversion; this file adds the tokenizer keys
// (from the text layer), the options and the progress bar.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "base/format_bytes.h"
#include "formats/architectures.h"
#include "formats/hf/hf_config.h"
#include "formats/hf/hf_convert.h"
#include "formats/hf/hf_model.h"
#include "formats/safetensors/safetensors_checkpoint.h"
#include "text/text_assets.h"
#include "text/tokenizer/hf_loader.h"

namespace baleen::cli {
namespace {

constexpr const char* kConvertUsage =
    "usage: baleen convert DIR OUT.gguf [--type TYPE] [--keep-mtp]\n"
    "  DIR       a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)\n"
    "  --type    auto (default: as stored, FP8 -> BF16), f32, f16, bf16, q8_0, q4_k_m, q5_k_m, q6_k, ...\n"
    "  --keep-mtp  keep DeepSeek-V3's multi-token-prediction block\n";
constexpr const char* kQuantizeUsage = "usage: baleen quantize IN.gguf OUT.gguf TYPE   (TYPE: q4_k_m, q5_k_m, q8_0, ...)\n";

// Regexes equal up to escaping of '"' (DeepSeek-V3's tokenizer.json writes \" where the presets write ").
bool SamePattern(std::string a, std::string b) {
  for (std::string* s : {&a, &b}) {
    for (size_t at = s->find("\\\""); at != std::string::npos; at = s->find("\\\"", at)) s->erase(at, 1);
  }
  return a == b;
}

// The GGUF pre-tokenizer name whose splits equal tokenizer.json's (GGUF readers select pre-tokenizers by name).
Result<std::string> GgufPreName(const BpeVocab& vocab, Architecture arch) {
  std::vector<PreTokenizerStep> splits;
  for (const PreTokenizerStep& s : vocab.pre_tokenizer.steps) {
    if (s.kind != PreTokenizerStep::Kind::kByteLevel || s.use_regex) splits.push_back(s);
  }
  const char* const candidates[] = {"deepseek-v3", "deepseek-r1-qwen", "qwen2", "llama-bpe", "deepseek-llm",
                                    "deepseek-coder"};
  // Names can share splits (deepseek-r1-qwen and qwen2): the architecture's own family name wins, else the first.
  const std::string_view family = ArchitectureInfoFor(arch).pre_tokenizer;
  const char* first = nullptr;
  for (const char* name : candidates) {
    Result<NamedPreTokenizer> named = PreTokenizerForGgufPre(name);
    if (!named.ok() || named->spec.steps.size() != splits.size()) continue;
    bool same = true;
    for (size_t i = 0; i < splits.size() && same; ++i) {
      const PreTokenizerStep &a = splits[i], &b = named->spec.steps[i];
      same = a.kind == b.kind && SamePattern(a.pattern, b.pattern) && a.behavior == b.behavior && a.invert == b.invert;
    }
    if (same && name == family) return std::string(name);
    if (same && first == nullptr) first = name;
  }
  if (first != nullptr) return std::string(first);
  return Unimplemented("tokenizer.json: its pre-tokenizer matches none that GGUF readers know by name "
                       "(deepseek-v3, deepseek-r1-qwen, qwen2, llama-bpe, deepseek-llm, deepseek-coder)");
}

// tokenizer.json + tokenizer_config.json -> the tokenizer.ggml.* keys llama.cpp's converter writes.
Result<std::vector<GgufKeyValue>> TokenizerMetadata(const std::string& dir, Architecture arch) {
  ASSIGN_OR_RETURN(BpeVocab vocab, LoadHfTokenizerDir(dir));
  ASSIGN_OR_RETURN(TextAssets assets, LoadTextAssetsFromHfDir(dir));
  ASSIGN_OR_RETURN(std::string pre, GgufPreName(vocab, arch));
  std::vector<int32_t> types = vocab.token_types;
  if (types.empty()) {
    types.assign(vocab.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
    for (const BpeVocab::AddedToken& t : vocab.added_tokens) {
      if (t.id >= 0 && static_cast<size_t>(t.id) < types.size()) {
        types[static_cast<size_t>(t.id)] = static_cast<int32_t>(t.special ? TokenType::kControl : TokenType::kUserDefined);
      }
    }
  }
  std::vector<std::string> merges;
  for (const auto& [a, b] : vocab.merges) merges.push_back(a + " " + b);
  std::vector<GgufKeyValue> kvs = {
      {"tokenizer.ggml.model", GgufValue::String("gpt2")},
      {"tokenizer.ggml.pre", GgufValue::String(pre)},
      {"tokenizer.ggml.tokens", GgufValue::Array(GgufArray::Strings(vocab.tokens))},
      {"tokenizer.ggml.token_type", GgufValue::Array(GgufArray::Numbers(GgufValueType::kInt32, types))},
      {"tokenizer.ggml.merges", GgufValue::Array(GgufArray::Strings(merges))},
  };
  auto id = [&kvs](const char* key, const std::optional<int32_t>& value) {
    if (value) kvs.push_back({key, GgufValue::U32(static_cast<uint32_t>(*value))});
  };
  id("tokenizer.ggml.bos_token_id", vocab.bos_id);
  id("tokenizer.ggml.eos_token_id", vocab.eos_id);
  id("tokenizer.ggml.padding_token_id", vocab.pad_id);
  id("tokenizer.ggml.unknown_token_id", vocab.unk_id);
  kvs.push_back({"tokenizer.ggml.add_bos_token", GgufValue::Bool(vocab.add_bos)});
  kvs.push_back({"tokenizer.ggml.add_eos_token", GgufValue::Bool(vocab.add_eos)});
  if (assets.chat_template) kvs.push_back({"tokenizer.chat_template", GgufValue::String(*assets.chat_template)});
  return kvs;
}

// "[#####     ]  12/345 tensors  1.2 GiB/3.4 GiB  blk.3.ffn_up_exps.weight" on a terminal, a line per 10% otherwise.
ConvertProgress ProgressBar() {
  const bool tty = isatty(STDERR_FILENO) != 0;
  return [tty, last_decile = -1](size_t done, size_t n, uint64_t bytes, uint64_t total,
                                 const std::string& name) mutable {
    const double fraction = total == 0 ? 1.0 : static_cast<double>(bytes) / static_cast<double>(total);
    if (tty) {
      const int width = 30, filled = static_cast<int>(width * fraction);
      std::fprintf(stderr, "\r\033[K[%.*s%*s] %zu/%zu tensors  %s/%s  %s", filled,
                   "##############################", width - filled, "", done, n, FormatBytes(bytes).c_str(),
                   FormatBytes(total).c_str(), name.c_str());
      if (done == n) std::fputs("\n", stderr);
    } else if (static_cast<int>(fraction * 10) > last_decile) {
      last_decile = static_cast<int>(fraction * 10);
      std::fprintf(stderr, "converting: %3d%% (%zu/%zu tensors)\n", last_decile * 10, done, n);
    }
  };
}

void PrintWritten(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  std::printf("wrote %s (%s)\n", path.c_str(), ec ? "?" : FormatBytes(size).c_str());
}

}  // namespace

int RunConvert(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string type = "auto";
  HfConvertOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kConvertUsage, stdout);
      return 0;
    } else if (args[i] == "--type" || args[i] == "--outtype") {
      if (!TakeValue(args, i, type)) return Usage(kConvertUsage, "--type needs a value");
    } else if (args[i] == "--keep-mtp") {
      options.keep_mtp = true;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return Usage(kConvertUsage, "unknown option '" + args[i] + "'");
    } else {
      paths.push_back(args[i]);
    }
  }
  if (paths.size() != 2) return Usage(kConvertUsage, "give a model folder and an output file");
  const std::string &dir = paths[0], &out = paths[1];
  Result<QuantRecipe> recipe = ParseQuantRecipe(type);
  if (!recipe.ok()) return Usage(kConvertUsage, recipe.status().message());
  options.recipe = *recipe;
  if (!IsModelFolder(dir)) {
    if (IsPickleCheckpointName(dir)) return Fail(PickleRefusal(dir));
    return Fail(InvalidArgument(dir + ": not a folder (convert reads a Hugging Face model folder)"));
  }
  Result<HfConfig> config = ReadHfConfig(dir, options.keep_mtp);
  if (!config.ok()) return Fail(config.status());
  // The weights first: a damaged shard or a pickle-only folder is the more important message.
  if (Result<std::unique_ptr<SafetensorsCheckpoint>> weights = SafetensorsCheckpoint::Open(dir); !weights.ok()) {
    return Fail(weights.status());
  }
  Result<std::vector<GgufKeyValue>> tokenizer = TokenizerMetadata(dir, config->shape.arch);
  if (!tokenizer.ok()) return Fail(tokenizer.status().WithContext(dir));
  options.extra_metadata = std::move(tokenizer).value();
  options.progress = ProgressBar();
  if (Status s = ConvertHfToGguf(dir, out, options); !s.ok()) return Fail(s);
  PrintWritten(out);
  return 0;
}

int RunQuantize(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kQuantizeUsage, stdout);
    return 0;
  }
  if (args.size() != 3) return Usage(kQuantizeUsage, "give an input file, an output file and a type");
  Result<QuantRecipe> recipe = ParseQuantRecipe(args[2]);
  if (!recipe.ok()) return Usage(kQuantizeUsage, recipe.status().message());
  if (recipe->keep_native) return Usage(kQuantizeUsage, "quantize needs a concrete type, not 'auto'");
  if (IsModelFolder(args[0])) return Usage(kQuantizeUsage, "IN must be a GGUF file (use 'baleen convert' on folders)");
  Result<std::unique_ptr<GgufModel>> in = OpenModelPath(args[0]);
  if (!in.ok()) return Fail(in.status());
  if (Status s = RequantizeGguf(**in, args[1], *recipe, ProgressBar()); !s.ok()) return Fail(s);
  PrintWritten(args[1]);
  return 0;
}

}  // namespace baleen::cli
