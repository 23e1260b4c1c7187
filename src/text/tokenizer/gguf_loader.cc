// GGUF tokenizer metadata -> BpeVocab. Text layer.
#include "text/tokenizer/gguf_loader.h"

#include <optional>
#include <string>

#include "formats/tokenizer_info.h"

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

std::optional<int32_t> SpecialId(const std::optional<SpecialToken>& token) {
  if (!token) return std::nullopt;
  return static_cast<int32_t>(token->id);
}

}  // namespace

Result<BpeVocab> LoadGgufVocab(const GgufModel& model) {
  // The summary already checks the model kind, array lengths and that special ids lie inside the vocabulary.
  ASSIGN_OR_RETURN(const TokenizerInfo info, ReadTokenizerInfo(model));
  if (!info.present) return NotFound("metadata key 'tokenizer.ggml.model' is missing: the file carries no tokenizer");
  if (info.model != "gpt2") {
    return Unimplemented("tokenizer.ggml.model '" + info.model +
                         "' is not supported (only byte-level BPE, 'gpt2', which every DeepSeek-family model uses)");
  }
  if (info.pre.empty()) {
    // Files converted before the key existed cannot say which regexes their tokenizer uses; guessing would
    // silently mis-tokenize, so ask for a re-conversion instead.
    return NotFound("metadata key 'tokenizer.ggml.pre' is missing: the pre-tokenizer cannot be chosen; re-convert the "
                    "model with a current converter");
  }
  Result<NamedPreTokenizer> named = PreTokenizerForGgufPre(info.pre);
  if (!named.ok()) return named.status().WithContext("metadata key 'tokenizer.ggml.pre'");

  BpeVocab vocab;
  ASSIGN_OR_RETURN(const GgufArray* tokens,
                   RequireArray(model, "tokenizer.ggml.tokens", GgufValueType::kString, true));
  vocab.tokens = tokens->ToStrings();
  ASSIGN_OR_RETURN(const GgufArray* types,
                   RequireArray(model, "tokenizer.ggml.token_type", GgufValueType::kInt32, false));
  if (types != nullptr) {
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
  vocab.bos_id = SpecialId(info.bos);
  vocab.eos_id = SpecialId(info.eos);
  vocab.pad_id = SpecialId(info.pad);
  vocab.unk_id = SpecialId(info.unk);
  vocab.add_bos = info.add_bos.value_or(vocab.bos_id.has_value());
  vocab.add_eos = info.add_eos.value_or(false);
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
