// ReadTokenizerInfo: tokenizer.ggml.* keys -> TokenizerInfo. Formats layer.
#include "formats/tokenizer_info.h"

namespace baleen {
namespace {

constexpr int32_t kTokenTypeControl = 3;
constexpr int32_t kTokenTypeUserDefined = 4;

Result<const GgufArray*> OptionalArray(const GgufModel& model, const std::string& key, GgufValueType element_type) {
  const GgufValue* value = model.Find(key);
  if (value == nullptr) return static_cast<const GgufArray*>(nullptr);
  const GgufArray* array = value->AsArray();
  if (array == nullptr || array->element_type() != element_type) {
    return DataLoss("metadata key '" + key + "' must be an array of " + GgufValueTypeName(element_type));
  }
  return array;
}

Result<std::optional<SpecialToken>> ReadSpecial(const GgufModel& model, const std::string& key,
                                                const GgufArray* tokens) {
  const GgufValue* value = model.Find(key);
  if (value == nullptr) return std::optional<SpecialToken>();
  const std::optional<int64_t> id = value->AsInt();
  if (!id || value->is_array()) return DataLoss("metadata key '" + key + "' must be an integer token id");
  // Some converters write -1 / UINT32_MAX for "none".
  if (*id < 0 || *id == 0xffffffffLL) return std::optional<SpecialToken>();
  if (tokens == nullptr || *id >= static_cast<int64_t>(tokens->size())) {
    return DataLoss("metadata key '" + key + "' = " + std::to_string(*id) + " is outside the vocabulary of " +
                    std::to_string(tokens == nullptr ? 0 : tokens->size()) + " tokens");
  }
  return std::optional<SpecialToken>(SpecialToken{*id, std::string(tokens->StringAt(static_cast<size_t>(*id)))});
}

std::optional<bool> OptionalBool(const GgufModel& model, const std::string& key) {
  const GgufValue* value = model.Find(key);
  return value == nullptr ? std::nullopt : value->AsBool();
}

}  // namespace

Result<TokenizerInfo> ReadTokenizerInfo(const GgufModel& model) {
  TokenizerInfo info;
  const GgufValue* model_value = model.Find("tokenizer.ggml.model");
  if (model_value == nullptr) return info;
  if (model_value->AsString() == nullptr) return DataLoss("metadata key 'tokenizer.ggml.model' must be a string");
  info.present = true;
  info.model = *model_value->AsString();
  if (const GgufValue* pre = model.Find("tokenizer.ggml.pre"); pre != nullptr && pre->AsString() != nullptr) {
    info.pre = *pre->AsString();
  }
  ASSIGN_OR_RETURN(const GgufArray* tokens, OptionalArray(model, "tokenizer.ggml.tokens", GgufValueType::kString));
  if (tokens == nullptr) return NotFound("metadata key 'tokenizer.ggml.tokens' is missing");
  info.vocab_size = static_cast<int64_t>(tokens->size());
  ASSIGN_OR_RETURN(const GgufArray* merges, OptionalArray(model, "tokenizer.ggml.merges", GgufValueType::kString));
  info.n_merges = merges == nullptr ? 0 : static_cast<int64_t>(merges->size());
  ASSIGN_OR_RETURN(const GgufArray* types, OptionalArray(model, "tokenizer.ggml.token_type", GgufValueType::kInt32));
  if (types != nullptr) {
    if (types->size() != tokens->size()) {
      return DataLoss("metadata 'tokenizer.ggml.token_type' has " + std::to_string(types->size()) +
                      " entries but 'tokenizer.ggml.tokens' has " + std::to_string(tokens->size()));
    }
    for (size_t i = 0; i < types->size(); ++i) {
      const int64_t type = *types->ScalarAt(i).AsInt();
      info.n_control_tokens += type == kTokenTypeControl;
      info.n_user_defined_tokens += type == kTokenTypeUserDefined;
    }
  }
  ASSIGN_OR_RETURN(info.bos, ReadSpecial(model, "tokenizer.ggml.bos_token_id", tokens));
  ASSIGN_OR_RETURN(info.eos, ReadSpecial(model, "tokenizer.ggml.eos_token_id", tokens));
  ASSIGN_OR_RETURN(info.pad, ReadSpecial(model, "tokenizer.ggml.padding_token_id", tokens));
  ASSIGN_OR_RETURN(info.unk, ReadSpecial(model, "tokenizer.ggml.unknown_token_id", tokens));
  info.add_bos = OptionalBool(model, "tokenizer.ggml.add_bos_token");
  info.add_eos = OptionalBool(model, "tokenizer.ggml.add_eos_token");
  if (const GgufValue* tmpl = model.Find("tokenizer.chat_template"); tmpl != nullptr && tmpl->AsString()) {
    info.has_chat_template = true;
    info.chat_template_bytes = tmpl->AsString()->size();
  }
  return info;
}

}  // namespace baleen
