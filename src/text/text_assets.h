// The text side of a model: its tokenizer and chat template, loaded from a GGUF model or a Hugging Face folder
// (tokenizer.json + tokenizer_config.json). Text layer; what the CLI and, later, the server use to get both.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "formats/gguf/gguf_model.h"
#include "text/tokenizer/tokenizer.h"

namespace baleen {

struct TextAssets {
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<std::string> chat_template;  // Jinja source, when the model ships one
  std::string bos_token, eos_token;          // literal text of BOS/EOS, as templates expect them ("" if none)
};

Result<TextAssets> LoadTextAssets(const GgufModel& model);
// `dir` holds tokenizer.json and optionally tokenizer_config.json (whose chat_template may be a string or a list
// of {name, template}, of which "default" is used).
Result<TextAssets> LoadTextAssetsFromHfDir(const std::string& dir);
// A GGUF file (or first shard) or a Hugging Face folder, told apart by whether `path` is a directory.
Result<TextAssets> LoadTextAssetsFromPath(const std::string& path);

}  // namespace baleen
