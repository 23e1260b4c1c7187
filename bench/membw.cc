// baleen-membw: the memory read bandwidth of this machine as `baleen bench` measures it, on its own. Bench layer.
//   baleen-membw [-t THREADS] [--mib SIZE] [--passes N] [--small-pages] [--json]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/thread_pool.h"
#include "bench/memory_bandwidth.h"

namespace {

constexpr const char* kUsage =
    "usage: baleen-membw [-t THREADS] [--mib SIZE] [--passes N] [--small-pages] [--json]\n"
    "  -t N        threads (default: all cores)\n"
    "  --mib N     buffer size in MiB (default: 8 x last-level cache, at least 1024)\n"
    "  --passes N  timed passes; the best is reported (default 20)\n"
    "  --small-pages  4 KiB pages, as a file mapping has, instead of transparent huge pages\n"
    "  --json      one JSON object instead of a line of text\n";

// A positive integer option value, or 0 when it is missing or malformed.
long PositiveValue(int argc, char** argv, int& i) {
  if (i + 1 >= argc) return 0;
  char* end = nullptr;
  const long v = std::strtol(argv[++i], &end, 10);
  return *end == '\0' && v > 0 ? v : 0;
}

}  // namespace

int main(int argc, char** argv) {
  baleen::ReadBandwidthOptions options;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--json") {
      json = true;
      continue;
    }
    if (arg == "--small-pages") {
      options.huge_pages = false;
      continue;
    }
    const long v = PositiveValue(argc, argv, i);
    if (arg == "-t" && v > 0) {
      baleen::ThreadPool::SetGlobalThreads(static_cast<int>(v));
    } else if (arg == "--mib" && v > 0) {
      options.buffer_bytes = static_cast<uint64_t>(v) << 20;
    } else if (arg == "--passes" && v > 0) {
      options.passes = static_cast<int>(v);
    } else {
      std::fprintf(stderr, "baleen-membw: bad argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  baleen::Result<baleen::ReadBandwidth> r = baleen::MeasureReadBandwidth(options);
  if (!r.ok()) {
    std::fprintf(stderr, "baleen-membw: error: %s\n", r.status().ToString().c_str());
    return 1;
  }
  const char* isa = baleen::IsaLevelName(r->isa);
  const char* pages = options.huge_pages ? "huge pages" : "4 KiB pages";
  if (json) {
    std::printf("{\"read_gb_per_s\": %.3f, \"buffer_bytes\": %llu, \"threads\": %d, \"isa\": \"%s\", "
                "\"passes\": %zu, \"huge_pages\": %s}\n",
                r->best_bytes_per_s / 1e9, static_cast<unsigned long long>(r->buffer_bytes), r->threads, isa,
                r->pass_bytes_per_s.size(), options.huge_pages ? "true" : "false");
  } else {
    std::printf("memory read bandwidth: %.1f GB/s (best of %zu passes over %llu MiB, %d threads, %s, %s)\n",
                r->best_bytes_per_s / 1e9, r->pass_bytes_per_s.size(),
                static_cast<unsigned long long>(r->buffer_bytes >> 20), r->threads, isa, pages);
  }
  return 0;
}
