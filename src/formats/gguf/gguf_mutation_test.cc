// Mutation test: thousands of corrupted variants of valid GGUF files must each parse or fail with a Status, never
// crash, hang or allocate without bound. Runs under ASan/UBSan in CI. Formats layer.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "formats/gguf/gguf_file.h"
#include "formats/gguf/gguf_test_util.h"
#include "formats/model_config.h"
#include "formats/testing/tiny_models.h"
#include "formats/tokenizer_info.h"

namespace baleen {
namespace {

// Values that commonly break parsers: zero, one, sign bits, all ones, sizes near 2^32 and 2^64.
constexpr uint64_t kInteresting[] = {0, 1, 2, 31, 32, 33, 255, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull};

std::vector<uint8_t> Mutate(const std::vector<uint8_t>& original, std::mt19937_64& rng) {
  std::vector<uint8_t> bytes = original;
  const int n_mutations = 1 + static_cast<int>(rng() % 4);
  for (int m = 0; m < n_mutations && !bytes.empty(); ++m) {
    const size_t pos = rng() % bytes.size();
    switch (rng() % 5) {
      case 0: bytes[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      case 1: bytes[pos] = static_cast<uint8_t>(rng()); break;
      case 2: {  // overwrite an aligned-ish 4- or 8-byte field with an interesting value
        const uint64_t v = kInteresting[rng() % std::size(kInteresting)];
        const size_t width = rng() % 2 ? 4 : 8;
        if (pos + width <= bytes.size()) std::memcpy(bytes.data() + pos, &v, width);
        break;
      }
      case 3: bytes.resize(pos); break;
      case 4: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<uint8_t>(rng())); break;
    }
  }
  return bytes;
}

// Parses and, when that succeeds, runs the consumers that read metadata, as `baleen inspect` does.
void ParseAndConsume(const std::vector<uint8_t>& bytes, int& n_ok) {
  auto file = GgufFile::Parse(bytes, "mutant.gguf");
  if (!file.ok()) {
    EXPECT_FALSE(file.status().message().empty());
    return;
  }
  ++n_ok;
  for (const GgufTensorInfo& t : (*file)->tensors()) {
    ASSERT_LE(t.data.data() + t.data.size(), bytes.data() + bytes.size());
  }
  for (const GgufKeyValue& kv : (*file)->metadata()) (void)kv.value.ToDisplayString();
}

TEST(GgufMutation, TenThousandMutantsOfEachSeedNeverCrash) {
  std::vector<std::vector<uint8_t>> seeds = {testing::SmallFileBytes()};
  // A whole tiny model too, cut after its tokenizer metadata to keep each mutant small.
  GgufWriter w;
  ASSERT_TRUE(testing::BuildTinyModel({.arch = Architecture::kQwen2}, w).ok());
  const std::string path = testing::TempPath("mutation_seed.gguf");
  ASSERT_TRUE(w.Write(path).ok());
  std::vector<uint8_t> model = testing::ReadFileBytes(path);
  std::filesystem::remove(path);
  model.resize(16384);
  seeds.push_back(std::move(model));

  std::mt19937_64 rng(20261129);
  const auto start = std::chrono::steady_clock::now();
  int n_ok = 0, n_total = 0;
  for (const auto& seed : seeds) {
    for (int i = 0; i < 10000; ++i, ++n_total) ParseAndConsume(Mutate(seed, rng), n_ok);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("parsed %d mutants in %.2f s; %d still valid, %d rejected with an error\n", n_total, seconds, n_ok,
              n_total - n_ok);
  EXPECT_GT(n_total - n_ok, n_total / 2);  // most mutations must be caught
}

TEST(GgufMutation, MutatedTinyModelsResolveOrFailCleanly) {
  for (Architecture arch : {Architecture::kDeepseek2, Architecture::kLlama}) {
    GgufWriter w;
    ASSERT_TRUE(testing::BuildTinyModel({.arch = arch}, w).ok());
    const std::string path = testing::TempPath("mutation_model.gguf");
    ASSERT_TRUE(w.Write(path).ok());
    const std::vector<uint8_t> original = testing::ReadFileBytes(path);
    std::filesystem::remove(path);
    // Only mutate the header region (metadata + tensor infos): that is where the parser and config resolution work.
    auto file = GgufFile::Parse(original, "seed");
    ASSERT_TRUE(file.ok());
    const size_t header_bytes = (*file)->data_offset();
    std::mt19937_64 rng(7);
    for (int i = 0; i < 500; ++i) {
      std::vector<uint8_t> bytes = original;
      const size_t pos = rng() % header_bytes;
      bytes[pos] = static_cast<uint8_t>(rng());
      auto mutant = GgufFile::Parse(bytes, "mutant");
      if (!mutant.ok()) continue;
      // Re-wrap as a model via a temporary file so config and tokenizer resolution run on it.
      const std::string mutant_path = testing::TempPath("mutant.gguf");
      { std::ofstream(mutant_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                            static_cast<std::streamsize>(bytes.size())); }
      auto model = GgufModel::Open(mutant_path);
      if (model.ok()) {
        (void)ResolveModelConfig(**model);
        (void)ReadTokenizerInfo(**model);
      }
      std::filesystem::remove(mutant_path);
    }
  }
}

}  // namespace
}  // namespace baleen
