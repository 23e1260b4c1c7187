// baleen-tiny-model: writes tiny random-weight GGUF models in the ecosystem's schema. Tools layer (developer tool).
#include <cstdio>
#include <string>
#include <vector>

#include "formats/architectures.h"
#include "formats/testing/tiny_models.h"

namespace {

// The architectures come from the registry (formats/architectures.h), those with a tiny builder.
std::string Usage() {
  std::string archs;
  for (const baleen::ArchitectureInfo& row : baleen::Architectures()) {
    if (!baleen::testing::HasTinyBuilder(row.arch)) continue;
    archs += (archs.empty() ? "" : ", ") + std::string(row.name) + (archs.empty() ? " (default)" : "");
  }
  return "usage: baleen-tiny-model [--arch ARCH] [--v2-lite] [--mtp] [--type TYPE] [--seed N] [--split N] OUT.gguf\n"
         "       baleen-tiny-model --all DIR      one model per architecture variant\n"
         "  ARCH: " + archs + "\n"
         "  TYPE: tensor type of weight matrices (f32 default; f16, q8_0, q4_k, ... where a quantizer exists)\n"
         "  --split N: write OUT-0000i-of-0000n.gguf shards of at most N tensors (OUT without .gguf)\n";
}

int Fail(const baleen::Status& status) {
  std::fprintf(stderr, "baleen-tiny-model: error: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  baleen::testing::TinyModelSpec spec;
  std::string out, all_dir;
  size_t split = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--arch") {
      const std::string name = next();
      const baleen::ArchitectureInfo* row = baleen::FindArchitecture(name);
      if (row == nullptr || !baleen::testing::HasTinyBuilder(row->arch)) {
        return Fail(baleen::InvalidArgument("unknown architecture '" + name + "'"));
      }
      spec.arch = row->arch;
    } else if (arg == "--v2-lite") {
      spec.q_lora = false;
    } else if (arg == "--mtp") {
      spec.with_mtp = true;
    } else if (arg == "--type") {
      baleen::Result<baleen::GgmlType> type = baleen::ParseGgmlType(next());
      if (!type.ok()) return Fail(type.status());
      spec.weight_type = *type;
    } else if (arg == "--seed") {
      spec.seed = std::stoull(next());
    } else if (arg == "--split") {
      split = std::stoull(next());
    } else if (arg == "--all") {
      all_dir = next();
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(Usage().c_str(), stdout);
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && out.empty()) {
      out = arg;
    } else {
      std::fputs(Usage().c_str(), stderr);
      return 2;
    }
  }
  if (!all_dir.empty()) {
    for (const auto& s : baleen::testing::TinyModelVariants(spec.weight_type, spec.seed)) {
      const std::string path = all_dir + "/" + baleen::testing::TinyModelName(s) + ".gguf";
      if (baleen::Status status = baleen::testing::WriteTinyModel(s, path); !status.ok()) return Fail(status);
      std::printf("%s\n", path.c_str());
    }
    return 0;
  }
  if (out.empty()) {
    std::fputs(Usage().c_str(), stderr);
    return 2;
  }
  if (split > 0) {
    baleen::GgufWriter writer;
    if (baleen::Status status = baleen::testing::BuildTinyModel(spec, writer); !status.ok()) return Fail(status);
    auto paths = writer.WriteSplit(out, split);
    if (!paths.ok()) return Fail(paths.status());
    for (const std::string& path : *paths) std::printf("%s\n", path.c_str());
    return 0;
  }
  if (baleen::Status status = baleen::testing::WriteTinyModel(spec, out); !status.ok()) return Fail(status);
  std::printf("%s\n", out.c_str());
  return 0;
}
