// libFuzzer target for the GGUF reader and the metadata consumers behind `baleen inspect`. Fuzz harness.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/gguf/gguf_file.h"
#include "formats/gguf/gguf_model.h"
#include "formats/model_config.h"
#include "formats/quants/quants.h"
#include "formats/tokenizer_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = baleen::GgufFile::Parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!file.ok()) return 0;
  for (const baleen::GgufKeyValue& kv : (*file)->metadata()) (void)kv.value.ToDisplayString();
  // Dequantize the first block of each tensor: the data views must stay inside the input.
  for (const baleen::GgufTensorInfo& t : (*file)->tensors()) {
    const baleen::GgmlTypeInfo& info = baleen::GetGgmlTypeInfo(t.type);
    if (t.size_bytes < static_cast<uint64_t>(info.block_bytes) || !baleen::CanDequantize(t.type)) continue;
    float out[256];
    (void)baleen::DequantizeRow(t.type, t.data.data(), out, info.block_elems);
  }
  auto model = baleen::GgufModel::FromFile(std::move(*file));
  if (!model.ok()) return 0;
  (void)baleen::ResolveModelConfig(**model);
  (void)baleen::ReadTokenizerInfo(**model);
  return 0;
}
