// Loading a model's tokenizer and chat template from GGUF or a Hugging Face folder. Text layer.
#include "text/text_assets.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "text/tokenizer/gguf_loader.h"
#include "text/tokenizer/hf_loader.h"

namespace baleen {
namespace {

void FillSpecialTexts(TextAssets& assets) {
  const BpeVocab& vocab = assets.tokenizer->vocab();
  if (vocab.bos_id) assets.bos_token = assets.tokenizer->TokenPiece(*vocab.bos_id);
  if (vocab.eos_id) assets.eos_token = assets.tokenizer->TokenPiece(*vocab.eos_id);
}

Result<std::optional<std::string>> ChatTemplateFromConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<std::string>();
  std::stringstream buffer;
  buffer << in.rdbuf();
  const nlohmann::json config = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) return DataLoss(path + ": not a JSON object");
  const auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& entry : *it) {
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string()) {
        return std::optional<std::string>(entry["template"].get<std::string>());
      }
    }
  }
  return DataLoss(path + ": 'chat_template' is neither a string nor a list with a 'default' entry");
}

}  // namespace

Result<TextAssets> LoadTextAssets(const GgufModel& model) {
  TextAssets assets;
  Result<BpeVocab> vocab = LoadGgufVocab(model);
  if (!vocab.ok()) return vocab.status().WithContext(model.first().path());
  ASSIGN_OR_RETURN(assets.tokenizer, Tokenizer::Create(std::move(vocab).value()));
  if (const GgufValue* tmpl = model.Find("tokenizer.chat_template"); tmpl != nullptr) {
    if (tmpl->AsString() == nullptr) {
      return DataLoss(model.first().path() + ": metadata key 'tokenizer.chat_template' must be a string");
    }
    assets.chat_template = *tmpl->AsString();
  }
  FillSpecialTexts(assets);
  return assets;
}

Result<TextAssets> LoadTextAssetsFromHfDir(const std::string& dir) {
  TextAssets assets;
  ASSIGN_OR_RETURN(BpeVocab vocab, LoadHfTokenizerDir(dir));
  ASSIGN_OR_RETURN(assets.tokenizer, Tokenizer::Create(std::move(vocab)));
  ASSIGN_OR_RETURN(assets.chat_template, ChatTemplateFromConfig(dir + "/tokenizer_config.json"));
  FillSpecialTexts(assets);
  return assets;
}

Result<TextAssets> LoadTextAssetsFromPath(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return LoadTextAssetsFromHfDir(path);
  ASSIGN_OR_RETURN(std::unique_ptr<GgufModel> model, GgufModel::Open(path));
  return LoadTextAssets(*model);
}

}  // namespace baleen
