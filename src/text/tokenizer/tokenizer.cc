// Tokenizer: the encode pipeline (added tokens -> normalizer -> added tokens -> pre-tokenizer -> BPE) and Decode.
#include "text/tokenizer/tokenizer.h"

#include <algorithm>

#include "text/tokenizer/bpe_model.h"
#include "text/tokenizer/byte_level.h"
#include "text/tokenizer/pre_tokenizer.h"
#include "text/tokenizer/unicode_nfc.h"
#include "text/tokenizer/utf8.h"

namespace baleen {
namespace {

using Range = PromptText::Range;

// The parts of `ranges` inside [begin, end), shifted so that `begin` becomes 0.
std::vector<Range> ClipRanges(const std::vector<Range>& ranges, uint32_t begin, uint32_t end) {
  std::vector<Range> out;
  for (const Range& r : ranges) {
    const uint32_t b = std::max(r.begin, begin), e = std::min(r.end, end);
    if (b < e) out.push_back({b - begin, e - begin});
  }
  return out;
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  size_t prev = 0;
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + from.size())) {
    out.append(s, prev, pos - prev);
    out.append(to);
    prev = pos + from.size();
  }
  if (prev == 0) return;
  out.append(s, prev, std::string::npos);
  s.swap(out);
}

// transformers' clean_up_tokenization: the same replacements, in the same order.
void CleanUpTokenizationSpaces(std::string& text) {
  static constexpr std::pair<std::string_view, std::string_view> kReplacements[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},     {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kReplacements) ReplaceAll(text, from, to);
}

Status ValidateVocab(const BpeVocab& vocab) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return InvalidArgument("tokenizer: empty vocabulary");
  if (n > INT32_MAX) return InvalidArgument("tokenizer: vocabulary too large");
  if (!vocab.token_types.empty() && vocab.token_types.size() != n) {
    return InvalidArgument("tokenizer: token_types has " + std::to_string(vocab.token_types.size()) +
                           " entries for " + std::to_string(n) + " tokens");
  }
  for (const auto& added : vocab.added_tokens) {
    if (added.id < 0 || static_cast<size_t>(added.id) >= n) {
      return InvalidArgument("tokenizer: added token id " + std::to_string(added.id) + " out of range");
    }
    if (vocab.tokens[added.id].empty()) {
      return InvalidArgument("tokenizer: added token " + std::to_string(added.id) + " is empty");
    }
  }
  for (const auto& [name, id] : {std::pair{"bos", vocab.bos_id}, {"eos", vocab.eos_id}, {"pad", vocab.pad_id},
                                 {"unk", vocab.unk_id}}) {
    if (id && (*id < 0 || static_cast<size_t>(*id) >= n)) {
      return InvalidArgument(std::string("tokenizer: ") + name + " id " + std::to_string(*id) + " out of range");
    }
  }
  return Status::Ok();
}

}  // namespace

PromptText& PromptText::AppendTrusted(const TrustedText& segment) {
  const auto begin = static_cast<uint32_t>(text_.size());
  text_ += segment.text();
  const auto end = static_cast<uint32_t>(text_.size());
  if (begin == end) return *this;
  if (!trusted_.empty() && trusted_.back().end == begin) {
    trusted_.back().end = end;
  } else {
    trusted_.push_back({begin, end});
  }
  return *this;
}

PromptText& PromptText::AppendUntrusted(std::string_view content) {
  text_ += content;
  return *this;
}

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::Create(BpeVocab vocab) {
  RETURN_IF_ERROR(ValidateVocab(vocab));
  const size_t n = vocab.tokens.size();
  if (vocab.added_tokens.empty()) {
    for (size_t id = 0; id < vocab.token_types.size(); ++id) {
      const auto type = static_cast<TokenType>(vocab.token_types[id]);
      if ((type == TokenType::kControl || type == TokenType::kUserDefined) && !vocab.tokens[id].empty()) {
        BpeVocab::AddedToken added;
        added.id = static_cast<int32_t>(id);
        added.special = type == TokenType::kControl;
        vocab.added_tokens.push_back(added);
      }
    }
  }
  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  tok->is_added_.assign(n, false);
  tok->is_special_.assign(n, false);
  std::vector<BpeVocab::AddedToken> raw, normalized;
  std::vector<std::string> raw_contents, normalized_contents;
  for (const auto& added : vocab.added_tokens) {
    tok->is_added_[added.id] = true;
    tok->is_special_[added.id] = tok->is_special_[added.id] || added.special;
    // Two passes even without a normalizer, as HF does: they differ from one pass only for overlapping tokens.
    (added.normalized ? normalized : raw).push_back(added);
    (added.normalized ? normalized_contents : raw_contents).push_back(vocab.tokens[added.id]);
  }
  tok->raw_matcher_ = AddedTokenMatcher(raw, raw_contents);
  tok->normalized_matcher_ = AddedTokenMatcher(normalized, normalized_contents);
  tok->token_bytes_.resize(n);
  for (size_t id = 0; id < n; ++id) {
    std::optional<std::string> bytes;
    if (!tok->is_added_[id]) bytes = ByteLevelDecode(vocab.tokens[id]);
    tok->token_bytes_[id] = bytes ? std::move(*bytes) : vocab.tokens[id];
  }
  ASSIGN_OR_RETURN(tok->pre_tokenizer_, PreTokenizer::Create(vocab.pre_tokenizer));
  ASSIGN_OR_RETURN(tok->model_, BpeModel::Create(vocab, tok->is_added_));
  tok->vocab_ = std::move(vocab);
  return tok;
}

Result<std::vector<int32_t>> Tokenizer::EncodeUntrusted(std::string_view text, const EncodeOptions& options) const {
  return EncodeRanges(text, {}, options);
}

Result<std::vector<int32_t>> Tokenizer::Encode(const TrustedText& text, const EncodeOptions& options) const {
  if (text.text().size() >= UINT32_MAX) return InvalidArgument("tokenizer: text longer than 4 GiB");
  return EncodeRanges(text.text(), {{0, static_cast<uint32_t>(text.text().size())}}, options);
}

Result<std::vector<int32_t>> Tokenizer::Encode(const PromptText& prompt, const EncodeOptions& options) const {
  return EncodeRanges(prompt.text(), prompt.trusted_ranges(), options);
}

Result<std::vector<int32_t>> Tokenizer::EncodeRanges(std::string_view text, const std::vector<Range>& trusted,
                                                     const EncodeOptions& options) const {
  if (text.size() >= UINT32_MAX) return InvalidArgument("tokenizer: text longer than 4 GiB");
  const size_t invalid = utf8::FindInvalid(text);
  if (invalid != text.size()) {
    return InvalidArgument("tokenizer: text is not valid UTF-8 (byte offset " + std::to_string(invalid) + ")");
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (options.add_special_tokens && vocab_.add_bos && vocab_.bos_id) ids.push_back(*vocab_.bos_id);
  std::vector<AddedTokenMatch> matches;
  for (const Range& r : trusted) raw_matcher_.FindAll(text, r.begin, r.end, matches);
  uint32_t pos = 0;
  for (const AddedTokenMatch& m : matches) {
    if (m.begin > pos) {
      RETURN_IF_ERROR(EncodeSection(text.substr(pos, m.begin - pos), ClipRanges(trusted, pos, m.begin), ids));
    }
    ids.push_back(m.id);
    pos = m.end;
  }
  if (pos < text.size()) {
    RETURN_IF_ERROR(EncodeSection(text.substr(pos), ClipRanges(trusted, pos, uint32_t(text.size())), ids));
  }
  if (options.add_special_tokens && vocab_.add_eos && vocab_.eos_id) ids.push_back(*vocab_.eos_id);
  return ids;
}

// One section between raw-matched added tokens: normalize, match the `normalized` added tokens, encode the rest.
Status Tokenizer::EncodeSection(std::string_view text, const std::vector<Range>& trusted,
                                std::vector<int32_t>& out) const {
  const bool nfc = vocab_.normalizer == Normalizer::kNfc;
  if (normalized_matcher_.empty() || trusted.empty()) {
    // No second added-token pass: normalize the whole section.
    return nfc ? EncodePlain(NfcNormalize(text), out) : EncodePlain(text, out);
  }
  std::string normalized;
  std::vector<Range> normalized_trusted;
  if (!nfc) {
    normalized.assign(text);
    normalized_trusted = trusted;
  } else {
    // Normalize trusted and untrusted runs separately so that the trusted ranges carry over to the normalized
    // text. (Differs from normalizing the whole section only when a run starts with a combining mark.)
    uint32_t pos = 0;
    const auto append_run = [&](uint32_t begin, uint32_t end, bool is_trusted) {
      if (begin >= end) return;
      const auto start = static_cast<uint32_t>(normalized.size());
      normalized += NfcNormalize(text.substr(begin, end - begin));
      if (is_trusted) normalized_trusted.push_back({start, static_cast<uint32_t>(normalized.size())});
    };
    for (const Range& r : trusted) {
      append_run(pos, r.begin, false);
      append_run(r.begin, r.end, true);
      pos = r.end;
    }
    append_run(pos, static_cast<uint32_t>(text.size()), false);
  }

  std::vector<AddedTokenMatch> matches;
  for (const Range& r : normalized_trusted) normalized_matcher_.FindAll(normalized, r.begin, r.end, matches);
  const std::string_view view = normalized;
  uint32_t at = 0;
  for (const AddedTokenMatch& m : matches) {
    if (m.begin > at) RETURN_IF_ERROR(EncodePlain(view.substr(at, m.begin - at), out));
    out.push_back(m.id);
    at = m.end;
  }
  if (at < view.size()) RETURN_IF_ERROR(EncodePlain(view.substr(at), out));
  return Status::Ok();
}

Status Tokenizer::EncodePlain(std::string_view text, std::vector<int32_t>& out) const {
  PreTokenized pieces;
  RETURN_IF_ERROR(pre_tokenizer_->Split(text, pieces));
  const std::string_view all = pieces.text;
  for (const PieceRange& p : pieces.pieces) model_->Encode(all.substr(p.begin, p.end - p.begin), out);
  return Status::Ok();
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, const DecodeOptions& options) const {
  std::string bytes;
  for (const int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    if (options.skip_special_tokens && is_special_[id]) continue;
    bytes += token_bytes_[id];
  }
  std::string text = utf8::ToValidLossy(bytes);
  if (options.clean_up_tokenization_spaces.value_or(vocab_.clean_up_tokenization_spaces)) {
    CleanUpTokenizationSpaces(text);
  }
  return text;
}

std::optional<int32_t> Tokenizer::AddedTokenId(std::string_view content) const {
  for (const auto& added : vocab_.added_tokens) {
    if (vocab_.tokens[added.id] == content) return added.id;
  }
  return std::nullopt;
}

}  // namespace baleen
