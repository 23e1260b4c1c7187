// GgufFile::Assemble: a GGUF namespace built from tables rather than parsed from bytes. Formats layer.
#include "formats/gguf/gguf_file.h"

namespace baleen {

Result<std::unique_ptr<GgufFile>> GgufFile::Assemble(std::string name, std::vector<GgufKeyValue> metadata,
                                                     std::vector<GgufTensorInfo> tensors,
                                                     std::shared_ptr<const void> storage, uint64_t size_bytes) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = std::move(name);
  file->version_ = 3;
  file->metadata_ = std::move(metadata);
  file->tensors_ = std::move(tensors);
  file->storage_ = storage ? std::move(storage) : std::make_shared<int>(0);
  file->assembled_size_bytes_ = size_bytes;
  for (size_t i = 0; i < file->metadata_.size(); ++i) {
    if (!file->key_index_.emplace(file->metadata_[i].key, i).second) {
      return Internal(file->path_ + ": metadata key '" + file->metadata_[i].key + "' assembled twice");
    }
  }
  for (size_t i = 0; i < file->tensors_.size(); ++i) {
    if (!file->tensor_index_.emplace(file->tensors_[i].name, i).second) {
      return DataLoss(file->path_ + ": tensor '" + file->tensors_[i].name + "' appears twice");
    }
  }
  return file;
}

}  // namespace baleen
