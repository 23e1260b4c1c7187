// gguf_roundtrip IN.gguf OUT.gguf: parses a file with Baleen's reader and writes it back with Baleen's writer.
// Used by the interop test: the output must equal the input byte for byte. Tests only.
#include <cstdio>
#include <cstring>

#include "formats/gguf/gguf_file.h"
#include "formats/gguf/gguf_writer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gguf_roundtrip IN.gguf OUT.gguf\n");
    return 2;
  }
  auto file = baleen::GgufFile::Open(argv[1]);
  if (!file.ok()) {
    std::fprintf(stderr, "error: %s\n", file.status().message().c_str());
    return 1;
  }
  baleen::GgufWriter writer;
  for (const baleen::GgufKeyValue& kv : (*file)->metadata()) {
    // SetAlignment also records general.alignment; Set keeps the key at its original position.
    if (kv.key == "general.alignment") writer.SetAlignment(static_cast<uint32_t>(*kv.value.AsUint()));
    writer.Set(kv.key, kv.value);
  }
  for (const baleen::GgufTensorInfo& t : (*file)->tensors()) {
    if (auto status = writer.AddTensor(t.name, t.type, t.dims, t.data); !status.ok()) {
      std::fprintf(stderr, "error: %s\n", status.message().c_str());
      return 1;
    }
  }
  if (auto status = writer.Write(argv[2]); !status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
