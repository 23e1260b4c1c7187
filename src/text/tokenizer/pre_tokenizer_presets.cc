// The named pre-tokenizers of GGUF `tokenizer.ggml.pre`: the Split regexes of each reference tokenizer (text layer).
// Sources: the tokenizer.json files of DeepSeek-V3, Qwen2/Qwen3 and Llama 3, and llama.cpp's llama-vocab.cpp for
// the older deepseek-llm and deepseek-coder sets (whose Digits step appears there as a \p{N} regex).
#include <initializer_list>

#include "text/tokenizer/bpe_vocab.h"

namespace baleen {
namespace {

// DeepSeek-V3 / R1 / V3.1 / V3.2: three Isolated Splits, in order.
constexpr const char* kDeepSeekV3[] = {
    R"(\p{N}{1,3})",
    "[一-龥぀-ゟ゠-ヿ]+",
    (R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|)"
     R"( ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"),
};

// Qwen2 / Qwen2.5 / Qwen3 / R1-Distill-Qwen: single digits.
constexpr const char* kQwen2[] = {
    (R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|)"
     R"(\s+(?!\S)|\s+)"),
};

// Llama 3 / R1-Distill-Llama: digit runs of up to three.
constexpr const char* kLlama3[] = {
    (R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|)"
     R"(\s+(?!\S)|\s+)"),
};

// DeepSeek LLM (and V2 family, per llama.cpp's DEEPSEEK_LLM type).
constexpr const char* kDeepSeekLlm[] = {
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}+",
};

// DeepSeek Coder.
constexpr const char* kDeepSeekCoder[] = {
    "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}",
};

template <size_t N>
PreTokenizerSpec IsolatedSplits(const char* name, const char* const (&patterns)[N]) {
  PreTokenizerSpec spec;
  spec.name = name;
  for (const char* pattern : patterns) {
    PreTokenizerStep step;
    step.kind = PreTokenizerStep::Kind::kSplitRegex;
    step.pattern = pattern;
    step.behavior = SplitBehavior::kIsolated;
    spec.steps.push_back(std::move(step));
  }
  return spec;
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (value == name) return true;
  }
  return false;
}

}  // namespace

Result<NamedPreTokenizer> PreTokenizerForGgufPre(std::string_view pre) {
  NamedPreTokenizer named;
  if (pre == "deepseek-v3") {
    named.spec = IsolatedSplits("deepseek-v3", kDeepSeekV3);
  } else if (OneOf(pre, {"qwen2", "deepseek-r1-qwen"})) {
    named.spec = IsolatedSplits(pre == "qwen2" ? "qwen2" : "deepseek-r1-qwen", kQwen2);
    named.normalizer = Normalizer::kNfc;  // Qwen2/2.5/3 and R1-Distill-Qwen tokenizer.json: {"type": "NFC"}
  } else if (OneOf(pre, {"llama-bpe", "llama3", "llama-v3"})) {
    named.spec = IsolatedSplits("llama-bpe", kLlama3);
    named.ignore_merges = true;  // llama.cpp sets ignore_merges for LLAMA3, as Llama 3's tokenizer.json does
  } else if (pre == "deepseek-llm") {
    named.spec = IsolatedSplits("deepseek-llm", kDeepSeekLlm);
  } else if (pre == "deepseek-coder") {
    named.spec = IsolatedSplits("deepseek-coder", kDeepSeekCoder);
  } else {
    return Unimplemented("tokenizer.ggml.pre: unknown pre-tokenizer '" + std::string(pre) +
                         "' (known: deepseek-v3, deepseek-r1-qwen, qwen2, llama-bpe, llama3, llama-v3, "
                         "deepseek-llm, deepseek-coder)");
  }
  return named;
}

}  // namespace baleen
