// GGUF tokenizer metadata -> BpeVocab. Text layer.
#include "text/tokenizer/gguf_loader.h"

#include <string>

namespace baleen {
namespace {

Result<const GgufArray*> RequireArray(const GgufModel& model, const std::string& key, GgufValueType element_type,
                                      bool required) {
  const GgufValue* value = model.Find(key);
  if (value == nullptr) {
    if (required) return NotFound("metadata key '" + key + "' is missing");
    return static_cast<const GgufArray*>(nullptr);
  }
  const GgufArray* array = value->AsArray();
  if (array == nullptr || array->element_type() != element_type) {
    return DataLoss("metadata key '" + key + "' must be an array of " + GgufValueTypeName(element_type));
  }
  return array;
}

Result<std::optional<int32_t>> SpecialId(const GgufModel& model, const std::string& key, size_t n_vocab) {
  const GgufValue* value = model.Find(key);
  if (value == nullptr) return std::optional<int32_t>();
  const std::optional<int64_t> id = value->AsInt();
  if (!id || value->is_array()) return DataLoss("metadata key '" + key + "' must be an integer token id");
  if (*id < 0 || *id == 0xffffffffLL) return std::optional<int32_t>();  // "none" in some converters
  if (*id >= static_cast<int64_t>(n_vocab)) {
    return DataLoss("metadata key '" + key + "' = " + std::to_string(*id) + " is outside the vocabulary of " +
                    std::to_string(n_vocab) + " tokens");
  }
  return std::optional<int32_t>(static_cast<int32_t>(*id));
}

bool BoolOr(const GgufModel& model, const std::string& key, bool fallback) {
  const GgufValue* value = model.Find(key);
  return value != nullptr && value->AsBool() ? *value->AsBool() : fallback;
}

Status ReadMerges(const GgufArray* merges, BpeVocab& vocab) {
  if (merges == nullptr) return Status::Ok();
  vocab.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string_view merge = merges->StringAt(i);
    // Byte-level tokens spell a space as "Ġ", so the one ASCII space separates the pair.
    const size_t space = merge.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == merge.size() ||
        merge.find(' ', space + 1) != std::string_view::npos) {
      return DataLoss("metadata 'tokenizer.ggml.merges'[" + std::to_string(i) + "] = '" + std::string(merge) +
                      "' is not two tokens separated by one space");
    }
    vocab.merges.emplace_back(std::string(merge.substr(0, space)), std::string(merge.substr(space + 1)));
  }
  return Status::Ok();
}

}  // namespace

Result<BpeVocab> LoadGgufVocab(const GgufModel& model) {
  const GgufValue* model_value = model.Find("tokenizer.ggml.model");
  if (model_value == nullptr || model_value->AsString() == nullptr) {
    return NotFound("metadata key 'tokenizer.ggml.model' is missing: the file carries no tokenizer");
  }
  if (*model_value->AsString() != "gpt2") {
    return Unimplemented("tokenizer.ggml.model '" + *model_value->AsString() +
                         "' is not supported (only byte-level BPE, 'gpt2', which every DeepSeek-family model uses)");
  }
  const GgufValue* pre_value = model.Find("tokenizer.ggml.pre");
  if (pre_value == nullptr || pre_value->AsString() == nullptr) {
    // Files converted before the key existed cannot say which regexes their tokenizer uses; guessing would
    // silently mis-tokenize, so ask for a re-conversion instead.
    return NotFound("metadata key 'tokenizer.ggml.pre' is missing: the pre-tokenizer cannot be chosen; re-convert the "
                    "model with a current converter");
  }
  const std::string& pre = *pre_value->AsString();
  Result<NamedPreTokenizer> named = PreTokenizerForGgufPre(pre);
  if (!named.ok()) return named.status().WithContext("metadata key 'tokenizer.ggml.pre'");

  BpeVocab vocab;
  ASSIGN_OR_RETURN(const GgufArray* tokens,
                   RequireArray(model, "tokenizer.ggml.tokens", GgufValueType::kString, true));
  vocab.tokens = tokens->ToStrings();
  ASSIGN_OR_RETURN(const GgufArray* types,
                   RequireArray(model, "tokenizer.ggml.token_type", GgufValueType::kInt32, false));
  if (types != nullptr) {
    if (types->size() != tokens->size()) {
      return DataLoss("metadata 'tokenizer.ggml.token_type' has " + std::to_string(types->size()) +
                      " entries but 'tokenizer.ggml.tokens' has " + std::to_string(tokens->size()));
    }
    vocab.token_types.reserve(types->size());
    for (size_t i = 0; i < types->size(); ++i) {
      vocab.token_types.push_back(static_cast<int32_t>(*types->ScalarAt(i).AsInt()));
    }
  }
  ASSIGN_OR_RETURN(const GgufArray* merges,
                   RequireArray(model, "tokenizer.ggml.merges", GgufValueType::kString, false));
  RETURN_IF_ERROR(ReadMerges(merges, vocab));

  vocab.pre_tokenizer = named->spec;
  vocab.ignore_merges = named->ignore_merges;
  vocab.normalizer = named->normalizer;
  const size_t n_vocab = vocab.tokens.size();
  ASSIGN_OR_RETURN(vocab.bos_id, SpecialId(model, "tokenizer.ggml.bos_token_id", n_vocab));
  ASSIGN_OR_RETURN(vocab.eos_id, SpecialId(model, "tokenizer.ggml.eos_token_id", n_vocab));
  ASSIGN_OR_RETURN(vocab.pad_id, SpecialId(model, "tokenizer.ggml.padding_token_id", n_vocab));
  ASSIGN_OR_RETURN(vocab.unk_id, SpecialId(model, "tokenizer.ggml.unknown_token_id", n_vocab));
  vocab.add_bos = BoolOr(model, "tokenizer.ggml.add_bos_token", vocab.bos_id.has_value());
  vocab.add_eos = BoolOr(model, "tokenizer.ggml.add_eos_token", false);
  return vocab;
}

void AddVocabToGguf(const BpeVocab& vocab, const std::string& pre, GgufWriter& writer) {
  std::vector<int32_t> types = vocab.token_types;
  if (types.empty()) {
    types.assign(vocab.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
    for (const BpeVocab::AddedToken& added : vocab.added_tokens) {
      types[static_cast<size_t>(added.id)] =
          static_cast<int32_t>(added.special ? TokenType::kControl : TokenType::kUserDefined);
    }
  }
  std::vector<std::string> merges;
  merges.reserve(vocab.merges.size());
  for (const auto& [left, right] : vocab.merges) merges.push_back(left + " " + right);
  writer.SetString("tokenizer.ggml.model", "gpt2");
  writer.SetString("tokenizer.ggml.pre", pre);
  writer.Set("tokenizer.ggml.tokens", GgufValue::Array(GgufArray::Strings(vocab.tokens)));
  writer.Set("tokenizer.ggml.token_type", GgufValue::Array(GgufArray::Numbers(GgufValueType::kInt32, types)));
  writer.Set("tokenizer.ggml.merges", GgufValue::Array(GgufArray::Strings(merges)));
  const std::pair<const char*, std::optional<int32_t>> ids[] = {{"tokenizer.ggml.bos_token_id", vocab.bos_id},
                                                                 {"tokenizer.ggml.eos_token_id", vocab.eos_id},
                                                                 {"tokenizer.ggml.padding_token_id", vocab.pad_id},
                                                                 {"tokenizer.ggml.unknown_token_id", vocab.unk_id}};
  for (const auto& [key, id] : ids) {
    if (id) writer.SetU32(key, static_cast<uint32_t>(*id));
  }
  writer.SetBool("tokenizer.ggml.add_bos_token", vocab.add_bos);
  writer.SetBool("tokenizer.ggml.add_eos_token", vocab.add_eos);
}

}  // namespace baleen
