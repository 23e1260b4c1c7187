// libFuzzer target for the safetensors header parser and the element decoders behind a Hugging Face load. Fuzz
// harness.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/safetensors/safetensors_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = baleen::SafetensorsFile::Parse(std::span<const uint8_t>(data, size), "fuzz.safetensors");
  if (!file.ok()) return 0;
  // Decode the first and last element of each float tensor: the views must stay inside the input.
  for (const baleen::SafetensorsTensor& t : (*file)->tensors()) {
    (void)t.ShapeString();
    if (!baleen::IsFloatDtype(t.dtype) || t.n_elements() == 0) continue;
    (void)t.FloatAt(0);
    (void)t.FloatAt(t.n_elements() - 1);
  }
  for (const auto& [key, value] : (*file)->metadata()) (void)(key.size() + value.size());
  return 0;
}
