// PreTokenizer: Hugging Face Split / ByteLevel pre-tokenization semantics on PCRE2 with JIT.
#include "text/tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "base/check.h"

namespace baleen {
namespace {

// Oniguruma's \s: TAB, LF, VT, FF, CR, NEL and the separators (Zs, Zl, Zp), as a class body.
constexpr std::string_view kOnigSpaceClassBody = "\\t-\\r\\x{85}\\p{Z}";
constexpr std::string_view kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
// Heap limit for the interpreter fallback and JIT stack limit: generous, since whitespace runs in user text can
// be long, but bounded so that a hostile input fails with a Status instead of exhausting memory.
constexpr size_t kJitStackMaxBytes = size_t{256} << 20;

struct Pcre2CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct Pcre2MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
struct Pcre2JitStackDeleter {
  void operator()(pcre2_jit_stack* stack) const { pcre2_jit_stack_free(stack); }
};
struct Pcre2MatchContextDeleter {
  void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};
using MatchDataPtr = std::unique_ptr<pcre2_match_data, Pcre2MatchDataDeleter>;

// Per-call scratch: match data and, only when a match needs more than the default 32 KiB, a larger JIT stack.
struct MatchScratch {
  MatchDataPtr match_data{pcre2_match_data_create(1, nullptr)};
  std::unique_ptr<pcre2_jit_stack, Pcre2JitStackDeleter> jit_stack;
  std::unique_ptr<pcre2_match_context, Pcre2MatchContextDeleter> context;

  pcre2_match_context* LargeStackContext() {
    if (!context) {
      jit_stack.reset(pcre2_jit_stack_create(size_t{1} << 20, kJitStackMaxBytes, nullptr));
      context.reset(pcre2_match_context_create(nullptr));
      CHECK(jit_stack && context);
      pcre2_jit_stack_assign(context.get(), nullptr, jit_stack.get());
    }
    return context.get();
  }
};

// A match or gap in a piece: the (offsets, is_match) pairs of Hugging Face's Pattern::find_matches.
struct Span {
  uint32_t begin, end;
  bool is_match;
};

// Appends `body` to `out`, rewriting \s and \h outside classes; `in_class` says whether we are inside [...].
bool RewriteEscape(char escaped, bool in_class, std::string& out) {
  switch (escaped) {
    case 's':
      out += in_class ? std::string(kOnigSpaceClassBody) : "[" + std::string(kOnigSpaceClassBody) + "]";
      return true;
    case 'S':
      if (in_class) return false;  // a negated class inside a class: keep PCRE2's \S (differs only at U+180E)
      out += "[^" + std::string(kOnigSpaceClassBody) + "]";
      return true;
    case 'h':
      out += in_class ? "0-9a-fA-F" : "[0-9a-fA-F]";
      return true;
    case 'H':
      if (in_class) return false;
      out += "[^0-9a-fA-F]";
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string TranslateRegexForPcre2(std::string_view pattern) {
  // The contraction group of GPT-4-style regexes; llama.cpp and transformers.js spell it with explicit case pairs.
  static constexpr std::string_view kCaselessContractions = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
  static constexpr std::string_view kExplicitContractions =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
  std::string out;
  out.reserve(pattern.size() + 32);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (!in_class && pattern.substr(i).starts_with(kCaselessContractions)) {
      out += kExplicitContractions;
      i += kCaselessContractions.size() - 1;
    } else if (c == '\\' && i + 1 < pattern.size()) {
      if (!RewriteEscape(pattern[i + 1], in_class, out)) {
        out += c;
        out += pattern[i + 1];
      }
      ++i;
    } else if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
    } else if (c == ']' && in_class) {
      in_class = false;
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

// One compiled step of the pipeline.
struct PreTokenizer::Step {
  PreTokenizerStep spec;
  std::unique_ptr<pcre2_code, Pcre2CodeDeleter> regex;  // kSplitRegex, or kByteLevel with use_regex

  static Result<std::unique_ptr<Step>> Create(const PreTokenizerStep& spec) {
    auto step = std::make_unique<Step>();
    step->spec = spec;
    std::string pattern;
    if (spec.kind == PreTokenizerStep::Kind::kSplitRegex) pattern = spec.pattern;
    if (spec.kind == PreTokenizerStep::Kind::kByteLevel && spec.use_regex) pattern = kGpt2Regex;
    if (spec.kind == PreTokenizerStep::Kind::kSplitString && spec.pattern.empty()) {
      return InvalidArgument("pre_tokenizer: Split with an empty String pattern");
    }
    if (pattern.empty()) return step;
    const std::string translated = TranslateRegexForPcre2(pattern);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    step->regex.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                    PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr));
    if (!step->regex) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      return InvalidArgument("pre_tokenizer: cannot compile regex '" + pattern + "' at offset " +
                             std::to_string(error_offset) + ": " + reinterpret_cast<const char*>(message));
    }
    // Without JIT (e.g. a platform PCRE2 built without it) the interpreter gives the same results, slower.
    (void)pcre2_jit_compile(step->regex.get(), PCRE2_JIT_COMPLETE);
    return step;
  }

  // Finds all matches of the regex in subject[begin, end) as Hugging Face does (Oniguruma find_iter: an empty
  // match right where the previous match ended is skipped), and reports matches and gaps in order.
  Status FindRegex(const std::string& subject, uint32_t begin, uint32_t end, MatchScratch& scratch,
                   std::vector<Span>& spans) const {
    const auto* data = reinterpret_cast<PCRE2_SPTR>(subject.data() + begin);
    const size_t length = end - begin;
    size_t start = 0, prev = 0;
    bool have_last_end = false;
    size_t last_end = 0;
    while (start <= length) {
      int rc = pcre2_match(regex.get(), data, length, start, PCRE2_NO_UTF_CHECK, scratch.match_data.get(), nullptr);
      if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        rc = pcre2_match(regex.get(), data, length, start, PCRE2_NO_UTF_CHECK, scratch.match_data.get(),
                         scratch.LargeStackContext());
      }
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        return ResourceExhausted("pre_tokenizer: regex match failed (PCRE2 error " + std::to_string(rc) +
                                 ") on a piece of " + std::to_string(length) + " bytes");
      }
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.match_data.get());
      const size_t m_begin = ovector[0], m_end = ovector[1];
      if (m_begin == m_end && have_last_end && m_begin == last_end) {
        start = NextCharBoundary(subject, begin, m_begin, length);
        continue;
      }
      if (prev != m_begin) spans.push_back({begin + uint32_t(prev), begin + uint32_t(m_begin), false});
      spans.push_back({begin + uint32_t(m_begin), begin + uint32_t(m_end), true});
      prev = m_end;
      have_last_end = true;
      last_end = m_end;
      start = m_end > m_begin ? m_end : NextCharBoundary(subject, begin, m_end, length);
    }
    if (prev != length) spans.push_back({begin + uint32_t(prev), end, false});
    return Status::Ok();
  }

  // The offset after the UTF-8 character at `offset` (or length + 1 at the end, to stop the search loop).
  static size_t NextCharBoundary(const std::string& subject, uint32_t begin, size_t offset, size_t length) {
    if (offset >= length) return length + 1;
    ++offset;
    while (offset < length && (static_cast<unsigned char>(subject[begin + offset]) & 0xC0) == 0x80) ++offset;
    return offset;
  }

  void FindString(const std::string& subject, uint32_t begin, uint32_t end, std::vector<Span>& spans) const {
    const std::string_view piece(subject.data() + begin, end - begin);
    size_t prev = 0;
    for (size_t pos = piece.find(spec.pattern); pos != std::string_view::npos;
         pos = piece.find(spec.pattern, pos + spec.pattern.size())) {
      if (prev != pos) spans.push_back({begin + uint32_t(prev), begin + uint32_t(pos), false});
      spans.push_back({begin + uint32_t(pos), begin + uint32_t(pos + spec.pattern.size()), true});
      prev = pos + spec.pattern.size();
    }
    if (prev != piece.size()) spans.push_back({begin + uint32_t(prev), end, false});
  }
};

namespace {

// Hugging Face NormalizedString::split: turns (span, is_match) into pieces according to the delimiter behavior.
void ApplyBehavior(SplitBehavior behavior, std::vector<Span>& spans, std::vector<PieceRange>& out) {
  // Isolated and Removed keep spans as they are (the common case: no copy); empty spans never become pieces.
  if (behavior == SplitBehavior::kIsolated || behavior == SplitBehavior::kRemoved) {
    for (const Span& s : spans) {
      if (s.end > s.begin && (behavior == SplitBehavior::kIsolated || !s.is_match)) out.push_back({s.begin, s.end});
    }
    return;
  }
  std::vector<PieceRange> pieces;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
    case SplitBehavior::kRemoved:
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Span& s : spans) {
        if (s.is_match && !previous_match && !pieces.empty()) {
          pieces.back().end = s.end;
        } else {
          pieces.push_back({s.begin, s.end});
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !pieces.empty()) {
          pieces.back().begin = it->begin;
        } else {
          pieces.push_back({it->begin, it->end});
        }
        previous_match = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    case SplitBehavior::kContiguous:
      for (const Span& s : spans) {
        if (s.is_match == previous_match && !pieces.empty()) {
          pieces.back().end = s.end;
        } else {
          pieces.push_back({s.begin, s.end});
        }
        previous_match = s.is_match;
      }
      break;
  }
  for (const PieceRange& p : pieces) {
    if (p.end > p.begin) out.push_back(p);
  }
}

// ByteLevel(add_prefix_space): every piece that does not start with a space gets one; rebuilds the text.
void AddPrefixSpaces(PreTokenized& pt) {
  std::string text;
  text.reserve(pt.text.size() + pt.pieces.size());
  for (PieceRange& p : pt.pieces) {
    const uint32_t begin = static_cast<uint32_t>(text.size());
    if (pt.text[p.begin] != ' ') text.push_back(' ');
    text.append(pt.text, p.begin, p.end - p.begin);
    p = {begin, static_cast<uint32_t>(text.size())};
  }
  pt.text.swap(text);
}

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::Create(const PreTokenizerSpec& spec) {
  std::unique_ptr<PreTokenizer> pre(new PreTokenizer());
  for (const PreTokenizerStep& step_spec : spec.steps) {
    ASSIGN_OR_RETURN(auto step, Step::Create(step_spec));
    pre->steps_.push_back(std::move(step));
  }
  return pre;
}

PreTokenizer::~PreTokenizer() = default;

Status PreTokenizer::Split(std::string_view text, PreTokenized& out) const {
  if (text.size() >= UINT32_MAX) return InvalidArgument("pre_tokenizer: text longer than 4 GiB");
  out.text.assign(text);
  out.pieces.clear();
  if (!text.empty()) out.pieces.push_back({0, static_cast<uint32_t>(text.size())});
  MatchScratch scratch;
  std::vector<Span> spans;
  std::vector<PieceRange> next;
  for (const auto& step : steps_) {
    const PreTokenizerStep& spec = step->spec;
    if (spec.kind == PreTokenizerStep::Kind::kByteLevel) {
      if (spec.add_prefix_space) AddPrefixSpaces(out);
      if (!spec.use_regex) continue;
    }
    const SplitBehavior behavior =
        spec.kind == PreTokenizerStep::Kind::kByteLevel ? SplitBehavior::kIsolated : spec.behavior;
    const bool invert = spec.kind != PreTokenizerStep::Kind::kByteLevel && spec.invert;
    next.clear();
    for (const PieceRange& piece : out.pieces) {
      spans.clear();
      if (step->regex) {
        RETURN_IF_ERROR(step->FindRegex(out.text, piece.begin, piece.end, scratch, spans));
      } else {
        step->FindString(out.text, piece.begin, piece.end, spans);
      }
      if (invert) {
        for (Span& s : spans) s.is_match = !s.is_match;
      }
      ApplyBehavior(behavior, spans, next);
    }
    out.pieces.swap(next);
  }
  return Status::Ok();
}

}  // namespace baleen
