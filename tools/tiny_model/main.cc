// baleen-tiny-model: writes tiny random-weight GGUF models in the ecosystem's schema. Tools layer (developer tool).
#include <cstdio>
#include <string>
#include <vector>

#include "formats/testing/tiny_models.h"

namespace {

constexpr const char* kUsage =
    "usage: baleen-tiny-model [--arch ARCH] [--v2-lite] [--mtp] [--type TYPE] [--seed N] [--split N] OUT.gguf\n"
    "       baleen-tiny-model --all DIR      one model per architecture variant\n"
    "  ARCH: deepseek2 (default), deepseek32, deepseek4, qwen2, llama, qwen3\n"
    "  TYPE: tensor type of weight matrices (f32 default; f16, q8_0, q4_k, ... where a quantizer exists)\n"
    "  --split N: write OUT-0000i-of-0000n.gguf shards of at most N tensors (OUT without .gguf)\n";

int Fail(const baleen::Status& status) {
  std::fprintf(stderr, "baleen-tiny-model: error: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using baleen::Architecture;
  baleen::testing::TinyModelSpec spec;
  std::string out, all_dir;
  size_t split = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--arch") {
      const std::string name = next();
      bool found = false;
      for (Architecture a : {Architecture::kDeepseek2, Architecture::kDeepseek32, Architecture::kDeepseek4,
                             Architecture::kQwen2, Architecture::kLlama, Architecture::kQwen3}) {
        if (name == baleen::ArchitectureName(a)) {
          spec.arch = a;
          found = true;
        }
      }
      if (!found) return Fail(baleen::InvalidArgument("unknown architecture '" + name + "'"));
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
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && out.empty()) {
      out = arg;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (!all_dir.empty()) {
    std::vector<baleen::testing::TinyModelSpec> specs;
    for (Architecture a : {Architecture::kDeepseek2, Architecture::kDeepseek32, Architecture::kDeepseek4,
                           Architecture::kQwen2, Architecture::kLlama, Architecture::kQwen3}) {
      specs.push_back({.arch = a, .weight_type = spec.weight_type, .seed = spec.seed});
    }
    specs.push_back({.arch = Architecture::kDeepseek2, .q_lora = false, .weight_type = spec.weight_type});
    specs.push_back({.arch = Architecture::kDeepseek2, .with_mtp = true, .weight_type = spec.weight_type});
    for (const auto& s : specs) {
      const std::string path = all_dir + "/" + baleen::testing::TinyModelName(s) + ".gguf";
      if (baleen::Status status = baleen::testing::WriteTinyModel(s, path); !status.ok()) return Fail(status);
      std::printf("%s\n", path.c_str());
    }
    return 0;
  }
  if (out.empty()) {
    std::fputs(kUsage, stderr);
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
