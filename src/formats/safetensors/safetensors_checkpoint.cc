// SafetensorsCheckpoint: the index file, its shards and the checks that they agree.
#include "formats/safetensors/safetensors_checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace baleen {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexName = "model.safetensors.index.json";
constexpr const char* kSingleName = "model.safetensors";
constexpr uintmax_t kMaxIndexBytes = 64ull << 20;  // real indexes are well under 1 MiB

Result<std::string> ReadSmallFile(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return IoError(path.string() + ": " + ec.message());
  if (size > kMaxIndexBytes) return DataLoss(path.string() + ": " + std::to_string(size) + " bytes is too large");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return IoError(path.string() + ": cannot read");
  return text.str();
}

// weight_map of the index: tensor name -> shard file name, in a stable (sorted by file, then name) order.
Result<std::map<std::string, std::vector<std::string>>> ReadIndex(const fs::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  const nlohmann::json index = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object()) return DataLoss(path.string() + ": not a JSON object");
  const auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object()) return DataLoss(path.string() + ": no \"weight_map\" object");
  std::map<std::string, std::vector<std::string>> by_file;
  for (const auto& [tensor, file] : map->items()) {
    if (!file.is_string()) return DataLoss(path.string() + ": weight_map[\"" + tensor + "\"] is not a string");
    const std::string& name = file.get_ref<const std::string&>();
    // A shard is a plain name inside the folder: an index must not point elsewhere on the machine.
    if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
        name == "." || name == "..") {
      return DataLoss(path.string() + ": weight_map[\"" + tensor + "\"] = \"" + name +
                      "\" is not a file name inside the folder");
    }
    by_file[name].push_back(tensor);
  }
  if (by_file.empty()) return DataLoss(path.string() + ": weight_map is empty");
  return by_file;
}

// Names of pickle checkpoints in `dir`, to explain why nothing loadable was found.
std::vector<std::string> PickleFilesIn(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (IsPickleCheckpointName(name) && name != "training_args.bin") found.push_back(name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

bool IsPickleCheckpointName(std::string_view path) {
  for (std::string_view ext : {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"}) {
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) return true;
  }
  return false;
}

Status PickleRefusal(const std::string& path) {
  return InvalidArgument(
      path + ": PyTorch pickle checkpoints (.bin, .pt, .pth, .ckpt) are never loaded: unpickling executes arbitrary "
             "code stored in the file, so opening an untrusted model this way would let it take over this machine. Use the "
             "model's .safetensors files (most Hugging Face repositories publish them) or a GGUF file");
}

Result<std::unique_ptr<SafetensorsCheckpoint>> SafetensorsCheckpoint::Open(const std::string& dir) {
  std::unique_ptr<SafetensorsCheckpoint> ckpt(new SafetensorsCheckpoint());
  ckpt->dir_ = dir;
  const fs::path root(dir);
  std::error_code ec;
  if (fs::exists(root / kIndexName, ec)) {
    ASSIGN_OR_RETURN(auto by_file, ReadIndex(root / kIndexName));
    for (const auto& [name, listed] : by_file) {
      ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open((root / name).string()));
      for (const std::string& tensor : listed) {
        if (file->Find(tensor) == nullptr) {
          return DataLoss((root / kIndexName).string() + ": lists tensor '" + tensor + "' in " + name +
                          ", which has no such tensor");
        }
      }
      RETURN_IF_ERROR(ckpt->AddFile(std::move(file)));
    }
    return ckpt;
  }
  if (fs::exists(root / kSingleName, ec)) {
    ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open((root / kSingleName).string()));
    RETURN_IF_ERROR(ckpt->AddFile(std::move(file)));
    return ckpt;
  }
  const std::vector<std::string> pickles = PickleFilesIn(root);
  if (!pickles.empty()) return PickleRefusal((root / pickles.front()).string());
  return NotFound(dir + ": no " + kIndexName + " or " + kSingleName + " in this folder");
}

Status SafetensorsCheckpoint::AddFile(std::unique_ptr<SafetensorsFile> file) {
  const size_t index = files_.size();
  for (const SafetensorsTensor& t : file->tensors()) {
    if (!by_name_.emplace(t.name, std::make_pair(&t, index)).second) {
      return DataLoss(file->path() + ": tensor '" + t.name + "' also appears in " +
                      files_[by_name_.at(t.name).second]->path());
    }
    tensors_.push_back(&t);
  }
  files_.push_back(std::move(file));
  return Status::Ok();
}

const SafetensorsTensor* SafetensorsCheckpoint::Find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.first;
}

const std::string& SafetensorsCheckpoint::FileOf(const SafetensorsTensor& tensor) const {
  return files_[by_name_.at(tensor.name).second]->path();
}

uint64_t SafetensorsCheckpoint::total_file_bytes() const {
  uint64_t total = 0;
  for (const auto& file : files_) total += file->size_bytes();
  return total;
}

}  // namespace baleen
