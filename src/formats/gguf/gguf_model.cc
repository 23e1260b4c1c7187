// GgufModel: opens all shards of a split GGUF and checks they form one consistent model. Formats layer.
#include "formats/gguf/gguf_model.h"

#include <cstdio>
#include <regex>

namespace baleen {
namespace {

struct SplitKeys {
  uint64_t no = 0;
  uint64_t count = 1;
  std::optional<uint64_t> tensors_count;
};

Result<SplitKeys> ReadSplitKeys(const GgufFile& file) {
  SplitKeys keys;
  auto read = [&](const char* key, uint64_t& out) -> Status {
    const GgufValue* value = file.Find(key);
    if (value == nullptr) return Status::Ok();
    const std::optional<uint64_t> v = value->AsUint();
    if (!v || value->is_array()) return DataLoss(file.path() + ": metadata '" + key + "' is not a non-negative integer");
    out = *v;
    return Status::Ok();
  };
  RETURN_IF_ERROR(read("split.no", keys.no));
  RETURN_IF_ERROR(read("split.count", keys.count));
  if (file.Find("split.tensors.count") != nullptr) {
    uint64_t total = 0;
    RETURN_IF_ERROR(read("split.tensors.count", total));
    keys.tensors_count = total;
  }
  if (keys.count == 0 || keys.count > 99999) {
    return DataLoss(file.path() + ": metadata 'split.count' = " + std::to_string(keys.count) + " is out of range");
  }
  if (keys.no >= keys.count) {
    return DataLoss(file.path() + ": metadata 'split.no' = " + std::to_string(keys.no) + " is not below split.count " +
                    std::to_string(keys.count));
  }
  return keys;
}

std::string FiveDigits(uint64_t n) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%05llu", static_cast<unsigned long long>(n));
  return digits;
}

}  // namespace

std::string GgufShardPath(const std::string& prefix, int index, int count) {
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), "-%05d-of-%05d.gguf", index, count);
  return prefix + suffix;
}

Result<std::unique_ptr<GgufModel>> GgufModel::Open(const std::string& path) {
  std::unique_ptr<GgufModel> model(new GgufModel());
  ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> first, GgufFile::Open(path));
  ASSIGN_OR_RETURN(SplitKeys split, ReadSplitKeys(*first));
  if (split.no != 0) {
    return InvalidArgument(path + ": this is shard " + std::to_string(split.no + 1) + " of " +
                           std::to_string(split.count) + "; open the first shard (NAME-00001-of-" +
                           FiveDigits(split.count) + ".gguf)");
  }
  model->shards_.push_back(std::move(first));
  if (split.count > 1) {
    static const std::regex kShardName(R"((.*)-00001-of-(\d{5})\.gguf$)");
    std::smatch match;
    if (!std::regex_match(path, match, kShardName) || std::stoull(match[2].str()) != split.count) {
      return InvalidArgument(path + ": metadata says the model is split into " + std::to_string(split.count) +
                             " files, but the name does not follow NAME-00001-of-" +
                             FiveDigits(split.count) + ".gguf");
    }
    for (uint64_t i = 1; i < split.count; ++i) {
      const std::string shard_path = GgufShardPath(match[1].str(), static_cast<int>(i + 1),
                                                   static_cast<int>(split.count));
      ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> shard, GgufFile::Open(shard_path));
      ASSIGN_OR_RETURN(SplitKeys shard_split, ReadSplitKeys(*shard));
      if (shard_split.no != i || shard_split.count != split.count) {
        return DataLoss(shard_path + ": split.no/split.count = " + std::to_string(shard_split.no) + "/" +
                        std::to_string(shard_split.count) + ", expected " + std::to_string(i) + "/" +
                        std::to_string(split.count));
      }
      model->shards_.push_back(std::move(shard));
    }
  }
  for (const auto& shard : model->shards_) RETURN_IF_ERROR(model->AddShardTensors(*shard));
  if (split.tensors_count && *split.tensors_count != model->tensors_.size()) {
    return DataLoss(path + ": metadata 'split.tensors.count' = " + std::to_string(*split.tensors_count) +
                    " but the shards hold " + std::to_string(model->tensors_.size()) + " tensors");
  }
  return model;
}

Result<std::unique_ptr<GgufModel>> GgufModel::FromFile(std::unique_ptr<GgufFile> file) {
  std::unique_ptr<GgufModel> model(new GgufModel());
  model->shards_.push_back(std::move(file));
  RETURN_IF_ERROR(model->AddShardTensors(*model->shards_.front()));
  return model;
}

Status GgufModel::AddShardTensors(const GgufFile& shard) {
  for (const GgufTensorInfo& info : shard.tensors()) {
    if (!by_name_.emplace(info.name, &info).second) {
      return DataLoss(shard.path() + ": tensor '" + info.name + "' also appears in an earlier shard");
    }
    tensors_.push_back(&info);
  }
  return Status::Ok();
}

const GgufTensorInfo* GgufModel::FindTensor(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

uint64_t GgufModel::total_file_bytes() const {
  uint64_t total = 0;
  for (const auto& shard : shards_) total += shard->size_bytes();
  return total;
}

}  // namespace baleen
