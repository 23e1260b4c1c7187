// `baleen verify PATH [--sha256-manifest FILE]`: checks that a model file or Hugging Face folder is whole (every
// header against its file size, every tensor mapped) and, with a manifest, every file's size and SHA-256. Tools
// layer. Downloads of hundreds of gigabytes do get truncated or corrupted; this says which file.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "baleen/cli_util.h"
#include "baleen/commands.h"
#include "base/format_bytes.h"
#include "base/sha256.h"
#include "formats/hf/hf_config.h"
#include "formats/hf/hf_model.h"
#include "formats/hf/hf_tensor_plan.h"
#include "formats/model_config.h"
#include "formats/safetensors/safetensors_checkpoint.h"
#include "text/text_assets.h"

namespace baleen::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kVerifyUsage =
    "usage: baleen verify PATH [--sha256-manifest FILE]\n"
    "  PATH   a GGUF file (first shard) or a Hugging Face model folder\n"
    "  FILE   lines of 'SHA256  NAME' (as sha256sum writes them) or 'SHA256  SIZE  NAME', NAME relative to the\n"
    "         folder (or to the file's folder)\n";

struct ManifestEntry {
  std::string sha256, name;
  std::optional<uintmax_t> size_bytes;
};

Result<std::vector<ManifestEntry>> ReadManifest(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<ManifestEntry> entries;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    ManifestEntry e;
    std::string second;
    fields >> e.sha256 >> second;
    std::string rest;
    std::getline(fields, rest);
    rest.erase(0, rest.find_first_not_of(" \t"));
    const bool hex = e.sha256.size() == 64 && e.sha256.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    const bool sized = !rest.empty() && !second.empty() && second.find_first_not_of("0123456789") == std::string::npos;
    e.name = sized ? rest : second + (rest.empty() ? "" : " " + rest);
    if (!e.name.empty() && e.name[0] == '*') e.name.erase(0, 1);  // sha256sum's binary-mode marker
    if (!hex || e.name.empty()) {
      return InvalidArgument(path + ": line " + std::to_string(number) + " is not 'SHA256  [SIZE  ]NAME'");
    }
    for (char& c : e.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (sized) e.size_bytes = std::stoull(second);
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return InvalidArgument(path + ": no entries");
  return entries;
}

Result<std::string> FileSha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path.string() + ": cannot open");
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    sha.Update({reinterpret_cast<const uint8_t*>(buffer.data()), static_cast<size_t>(in.gcount())});
  }
  if (in.bad()) return IoError(path.string() + ": read error");
  return Sha256::Hex(sha.Finish());
}

// Each listed file: present, of the listed size, with the listed hash. Returns the number of problems.
int CheckManifest(const std::vector<ManifestEntry>& entries, const fs::path& base) {
  int problems = 0;
  for (const ManifestEntry& e : entries) {
    const fs::path path = base / e.name;
    std::error_code ec;
    const uintmax_t size = fs::file_size(path, ec);
    std::string verdict;
    if (ec) {
      verdict = "MISSING";
    } else if (e.size_bytes && *e.size_bytes != size) {
      verdict = "WRONG SIZE: " + std::to_string(size) + " bytes, manifest says " + std::to_string(*e.size_bytes);
    } else if (Result<std::string> sha = FileSha256(path); !sha.ok()) {
      verdict = "UNREADABLE: " + sha.status().message();
    } else if (*sha != e.sha256) {
      verdict = "WRONG SHA-256: " + *sha + ", manifest says " + e.sha256;
    }
    problems += verdict.empty() ? 0 : 1;
    std::printf("%-9s %s%s%s\n", verdict.empty() ? "ok" : "FAIL", e.name.c_str(), verdict.empty() ? "" : ": ",
                verdict.c_str());
  }
  return problems;
}

// Structure: headers against file sizes, names, shapes and the tokenizer, without decoding any weight.
Status CheckStructure(const std::string& path) {
  if (IsModelFolder(path)) {
    ASSIGN_OR_RETURN(HfConfig config, ReadHfConfig(path, /*keep_mtp=*/true));
    ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsCheckpoint> checkpoint, SafetensorsCheckpoint::Open(path));
    ASSIGN_OR_RETURN(HfTensorPlan plan, PlanHfTensors(config.shape, *checkpoint));
    Result<TextAssets> text = LoadTextAssetsFromHfDir(path);
    if (!text.ok()) return text.status();
    std::printf("ok        %s: %s, %zu safetensors files, %zu tensors (%zu in GGUF layout), %s, tokenizer of %zu "
                "tokens\n", path.c_str(), config.shape.hf_architecture.c_str(), checkpoint->files().size(),
                checkpoint->tensors().size(), plan.tensors.size(), FormatBytes(checkpoint->total_file_bytes()).c_str(),
                static_cast<size_t>(text->tokenizer->vocab_size()));
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<GgufModel> model, OpenModelPath(path));
  Result<ModelConfig> config = ResolveModelConfig(*model);
  if (!config.ok()) return config.status().WithContext(path);
  std::printf("ok        %s: %s, %zu files, %zu tensors, %s\n", path.c_str(), ArchitectureName(config->arch),
              model->shards().size(), model->tensors().size(), FormatBytes(model->total_file_bytes()).c_str());
  return Status::Ok();
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  std::string path, manifest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kVerifyUsage, stdout);
      return 0;
    } else if (args[i] == "--sha256-manifest") {
      if (!TakeValue(args, i, manifest)) return Usage(kVerifyUsage, "--sha256-manifest needs a file");
    } else if (!args[i].empty() && args[i][0] == '-') {
      return Usage(kVerifyUsage, "unknown option '" + args[i] + "'");
    } else if (path.empty()) {
      path = args[i];
    } else {
      return Usage(kVerifyUsage, "only one PATH is accepted");
    }
  }
  if (path.empty()) return Usage(kVerifyUsage, "give a model file or folder");
  int problems = 0;
  if (!manifest.empty()) {
    Result<std::vector<ManifestEntry>> entries = ReadManifest(manifest);
    if (!entries.ok()) return Fail(entries.status());
    problems = CheckManifest(*entries, IsModelFolder(path) ? fs::path(path) : fs::path(path).parent_path());
  }
  if (Status s = CheckStructure(path); !s.ok()) {
    Fail(s);
    ++problems;
  }
  if (problems > 0) {
    std::fprintf(stderr, "baleen verify: %d problem%s found\n", problems, problems == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

}  // namespace baleen::cli
