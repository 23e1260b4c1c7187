// Hugging Face tokenizer.json / tokenizer_config.json -> BpeVocab. nlohmann::json is used in no-throw mode, and
// every field is type-checked before use, so malformed files come back as a Status naming the field.
#include "text/tokenizer/hf_loader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include "base/mapped_file.h"

namespace baleen {
namespace {

using Json = nlohmann::json;

bool BoolField(const Json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string StringField(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string TypeOf(const Json& object) { return object.is_object() ? StringField(object, "type") : std::string(); }

Result<SplitBehavior> ParseBehavior(const std::string& behavior, const std::string& where) {
  static const std::map<std::string, SplitBehavior> kBehaviors = {
      {"Isolated", SplitBehavior::kIsolated},
      {"Removed", SplitBehavior::kRemoved},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous},
  };
  const auto it = kBehaviors.find(behavior);
  if (it == kBehaviors.end()) return InvalidArgument(where + ".behavior: unknown value '" + behavior + "'");
  return it->second;
}

Status ParsePreTokenizer(const Json& node, const std::string& where, PreTokenizerSpec& spec) {
  if (node.is_null()) return Status::Ok();
  const std::string type = TypeOf(node);
  PreTokenizerStep step;
  if (type == "Sequence") {
    const auto it = node.find("pretokenizers");
    if (it == node.end() || !it->is_array()) return InvalidArgument(where + ".pretokenizers: expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      RETURN_IF_ERROR(ParsePreTokenizer((*it)[i], where + ".pretokenizers[" + std::to_string(i) + "]", spec));
    }
    return Status::Ok();
  } else if (type == "Split") {
    const auto pattern = node.find("pattern");
    if (pattern == node.end() || !pattern->is_object()) return InvalidArgument(where + ".pattern: expected an object");
    if (pattern->contains("Regex") && (*pattern)["Regex"].is_string()) {
      step.kind = PreTokenizerStep::Kind::kSplitRegex;
      step.pattern = (*pattern)["Regex"].get<std::string>();
    } else if (pattern->contains("String") && (*pattern)["String"].is_string()) {
      step.kind = PreTokenizerStep::Kind::kSplitString;
      step.pattern = (*pattern)["String"].get<std::string>();
    } else {
      return InvalidArgument(where + ".pattern: expected {\"Regex\": ...} or {\"String\": ...}");
    }
    ASSIGN_OR_RETURN(step.behavior, ParseBehavior(StringField(node, "behavior"), where));
    step.invert = BoolField(node, "invert", false);
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::kByteLevel;
    step.add_prefix_space = BoolField(node, "add_prefix_space", true);
    step.use_regex = BoolField(node, "use_regex", true);
  } else if (type == "Digits") {
    step.kind = PreTokenizerStep::Kind::kSplitRegex;
    // HF splits on char::is_numeric (categories Nd, Nl, No = \p{N}): Isolated per digit, or Contiguous runs.
    step.pattern = BoolField(node, "individual_digits", false) ? "\\p{N}" : "\\p{N}+";
    step.behavior = SplitBehavior::kIsolated;
  } else {
    return Unimplemented(where + ": pre-tokenizer type '" + type + "' is not supported");
  }
  spec.steps.push_back(std::move(step));
  return Status::Ok();
}

Status ParseNormalizer(const Json& node, const std::string& where, Normalizer& normalizer) {
  if (node.is_null()) return Status::Ok();
  const std::string type = TypeOf(node);
  if (type == "NFC") {
    normalizer = Normalizer::kNfc;
    return Status::Ok();
  }
  if (type == "Sequence") {
    const auto it = node.find("normalizers");
    if (it == node.end() || !it->is_array()) return InvalidArgument(where + ".normalizers: expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      RETURN_IF_ERROR(ParseNormalizer((*it)[i], where + ".normalizers[" + std::to_string(i) + "]", normalizer));
    }
    return Status::Ok();
  }
  return Unimplemented(where + ": normalizer type '" + type + "' is not supported");
}

Status CheckDecoder(const Json& node, const std::string& where) {
  if (node.is_null()) return Status::Ok();
  const std::string type = TypeOf(node);
  if (type == "ByteLevel") return Status::Ok();
  if (type == "Sequence" && node.contains("decoders") && node["decoders"].is_array()) {
    for (size_t i = 0; i < node["decoders"].size(); ++i) {
      RETURN_IF_ERROR(CheckDecoder(node["decoders"][i], where + ".decoders[" + std::to_string(i) + "]"));
    }
    return Status::Ok();
  }
  return Unimplemented(where + ": decoder type '" + type + "' is not supported (byte-level BPE only)");
}

Status ParseModel(const Json& model, BpeVocab& vocab) {
  if (!model.is_object()) return InvalidArgument("model: expected an object");
  const std::string type = TypeOf(model);
  if (!type.empty() && type != "BPE") return Unimplemented("model.type: '" + type + "' (only BPE is supported)");
  if (BoolField(model, "byte_fallback", false)) return Unimplemented("model.byte_fallback: not supported");
  if (!StringField(model, "continuing_subword_prefix").empty() || !StringField(model, "end_of_word_suffix").empty()) {
    return Unimplemented("model: continuing_subword_prefix / end_of_word_suffix are not supported");
  }
  const auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) return InvalidArgument("model.vocab: expected an object");
  for (const auto& [token, id] : vocab_it->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= INT32_MAX) {
      return InvalidArgument("model.vocab['" + token + "']: expected a non-negative id");
    }
    const auto index = static_cast<size_t>(id.get<int64_t>());
    if (index >= vocab.tokens.size()) vocab.tokens.resize(index + 1);
    vocab.tokens[index] = token;
  }
  const auto merges_it = model.find("merges");
  if (merges_it == model.end() || !merges_it->is_array()) return InvalidArgument("model.merges: expected an array");
  vocab.merges.reserve(merges_it->size());
  for (size_t i = 0; i < merges_it->size(); ++i) {
    const Json& merge = (*merges_it)[i];
    if (merge.is_string()) {
      const std::string& line = merge.get_ref<const std::string&>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        return InvalidArgument("model.merges[" + std::to_string(i) + "]: expected \"a b\", got '" + line + "'");
      }
      vocab.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      vocab.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      return InvalidArgument("model.merges[" + std::to_string(i) + "]: expected a string or a pair of strings");
    }
  }
  vocab.ignore_merges = BoolField(model, "ignore_merges", false);
  return Status::Ok();
}

Status ParseAddedTokens(const Json& root, BpeVocab& vocab) {
  const auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument("added_tokens: expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& t = (*it)[i];
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") ||
        !t["content"].is_string() || t["content"].get_ref<const std::string&>().empty()) {
      return InvalidArgument(where + ": expected {\"id\": int, \"content\": non-empty string, ...}");
    }
    const int64_t id = t["id"].get<int64_t>();
    if (id < 0 || id >= INT32_MAX) return InvalidArgument(where + ".id: out of range");
    if (static_cast<size_t>(id) >= vocab.tokens.size()) vocab.tokens.resize(id + 1);
    vocab.tokens[id] = t["content"].get<std::string>();
    BpeVocab::AddedToken added;
    added.id = static_cast<int32_t>(id);
    added.special = BoolField(t, "special", false);
    added.normalized = BoolField(t, "normalized", !added.special);
    added.lstrip = BoolField(t, "lstrip", false);
    added.rstrip = BoolField(t, "rstrip", false);
    added.single_word = BoolField(t, "single_word", false);
    vocab.added_tokens.push_back(added);
  }
  return Status::Ok();
}

// BOS/EOS from a TemplateProcessing post-processor: a SpecialToken before / after sequence A.
void ParsePostProcessor(const Json& node, BpeVocab& vocab) {
  const std::string type = TypeOf(node);
  if (type == "Sequence" && node.contains("processors") && node["processors"].is_array()) {
    for (const Json& p : node["processors"]) ParsePostProcessor(p, vocab);
    return;
  }
  if (type != "TemplateProcessing" || !node.contains("single") || !node["single"].is_array()) return;
  const Json& single = node["single"];
  const auto special_id = [&](const Json& item) -> std::optional<int32_t> {
    if (!item.is_object() || !item.contains("SpecialToken")) return std::nullopt;
    const std::string name = StringField(item["SpecialToken"], "id");
    const Json* tokens = node.contains("special_tokens") ? &node["special_tokens"] : nullptr;
    if (tokens == nullptr || !tokens->contains(name) || !(*tokens)[name].contains("ids")) return std::nullopt;
    const Json& ids = (*tokens)[name]["ids"];
    if (!ids.is_array() || ids.size() != 1 || !ids[0].is_number_integer()) return std::nullopt;
    return static_cast<int32_t>(ids[0].get<int64_t>());
  };
  if (!single.empty()) {
    if (auto id = special_id(single.front())) {
      vocab.add_bos = true;
      vocab.bos_id = id;
    }
    if (auto id = special_id(single.back()); id && single.size() > 1) {
      vocab.add_eos = true;
      vocab.eos_id = id;
    }
  }
}

// tokenizer_config.json tokens are a string or an AddedToken object {"content": ...}.
std::optional<std::string> ConfigToken(const Json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    const std::string content = StringField(*it, "content");
    if (!content.empty()) return content;
  }
  return std::nullopt;
}

Status ApplyConfig(const Json& config, BpeVocab& vocab) {
  if (!config.is_object()) return InvalidArgument("tokenizer_config.json: expected an object");
  std::map<std::string, int32_t> added_by_content;
  for (size_t i = 0; i < vocab.added_tokens.size(); ++i) {
    added_by_content[vocab.tokens[vocab.added_tokens[i].id]] = static_cast<int32_t>(i);
  }
  // An added token named by the config becomes special; a plain vocabulary token is only looked up.
  const auto mark_special = [&](const std::string& content) -> std::optional<int32_t> {
    const auto it = added_by_content.find(content);
    if (it != added_by_content.end()) {
      vocab.added_tokens[it->second].special = true;
      return vocab.added_tokens[it->second].id;
    }
    const auto token = std::find(vocab.tokens.begin(), vocab.tokens.end(), content);
    if (token == vocab.tokens.end()) return std::nullopt;
    return static_cast<int32_t>(token - vocab.tokens.begin());
  };
  std::optional<int32_t>* const ids[] = {&vocab.bos_id, &vocab.eos_id, &vocab.pad_id, &vocab.unk_id};
  const char* const keys[] = {"bos_token", "eos_token", "pad_token", "unk_token"};
  for (int k = 0; k < 4; ++k) {
    if (const auto content = ConfigToken(config, keys[k])) {
      const std::optional<int32_t> id = mark_special(*content);
      if (!id) return InvalidArgument(std::string("tokenizer_config.json ") + keys[k] + ": '" + *content +
                                      "' is not a token of tokenizer.json");
      *ids[k] = id;
    }
  }
  if (config.contains("additional_special_tokens") && config["additional_special_tokens"].is_array()) {
    for (const Json& t : config["additional_special_tokens"]) {
      if (t.is_string()) mark_special(t.get<std::string>());
      if (t.is_object()) mark_special(StringField(t, "content"));
    }
  }
  vocab.add_bos = BoolField(config, "add_bos_token", vocab.add_bos);
  vocab.add_eos = BoolField(config, "add_eos_token", vocab.add_eos);
  vocab.clean_up_tokenization_spaces = BoolField(config, "clean_up_tokenization_spaces", false);
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  const auto bytes = file->bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

Result<BpeVocab> ParseHfTokenizer(std::string_view tokenizer_json, std::string_view tokenizer_config_json) {
  const Json root = Json::parse(tokenizer_json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return InvalidArgument("tokenizer.json: not a JSON object");
  BpeVocab vocab;
  vocab.pre_tokenizer.name = "tokenizer.json";
  try {
    if (!root.contains("model")) return InvalidArgument("tokenizer.json: no 'model'");
    RETURN_IF_ERROR(ParseModel(root["model"], vocab));
    RETURN_IF_ERROR(ParseAddedTokens(root, vocab));
    if (root.contains("normalizer")) {
      RETURN_IF_ERROR(ParseNormalizer(root["normalizer"], "normalizer", vocab.normalizer));
    }
    if (root.contains("pre_tokenizer")) {
      RETURN_IF_ERROR(ParsePreTokenizer(root["pre_tokenizer"], "pre_tokenizer", vocab.pre_tokenizer));
    }
    if (root.contains("decoder")) RETURN_IF_ERROR(CheckDecoder(root["decoder"], "decoder"));
    if (root.contains("post_processor")) ParsePostProcessor(root["post_processor"], vocab);
    if (!tokenizer_config_json.empty()) {
      const Json config = Json::parse(tokenizer_config_json, nullptr, /*allow_exceptions=*/false);
      if (config.is_discarded()) return InvalidArgument("tokenizer_config.json: not valid JSON");
      RETURN_IF_ERROR(ApplyConfig(config, vocab));
    }
  } catch (const std::exception& e) {  // a field of an unexpected type that slipped past the checks
    return InvalidArgument(std::string("tokenizer.json: ") + e.what());
  }
  // Ids without a token (gaps in model.vocab) stay empty strings: never produced, decoded as nothing.
  return vocab;
}

Result<BpeVocab> LoadHfTokenizerDir(const std::string& dir) {
  const std::string json_path = dir + "/tokenizer.json", config_path = dir + "/tokenizer_config.json";
  ASSIGN_OR_RETURN(const std::string json, ReadFile(json_path));
  std::string config;
  if (std::filesystem::exists(config_path)) {
    ASSIGN_OR_RETURN(config, ReadFile(config_path));
  }
  Result<BpeVocab> vocab = ParseHfTokenizer(json, config);
  if (!vocab.ok()) return vocab.status().WithContext(json_path);
  return vocab;
}

}  // namespace baleen
