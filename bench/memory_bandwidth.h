// A STREAM-like probe of memory read bandwidth: every thread of the global ThreadPool streams a buffer much larger
// than the last-level cache with the widest loads the CPU has. Bench layer. Generating a token reads every active
// weight once, so this bandwidth bounds generation speed (`baleen bench` prints the bound; docs/PERFORMANCE.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "kernels/cpu_features.h"

namespace baleen {

struct ReadBandwidthOptions {
  uint64_t buffer_bytes = 0;  // 0: DefaultBandwidthBufferBytes()
  int passes = 20;            // timed passes after one untimed one; the best counts, as in STREAM
  // Transparent huge pages for the buffer where the kernel allows. Off: 4 KiB pages, as the weights in a file
  // mapping get; the difference is the TLB's share of the time.
  bool huge_pages = true;
};

struct ReadBandwidth {
  double best_bytes_per_s = 0;
  std::vector<double> pass_bytes_per_s;
  uint64_t buffer_bytes = 0;
  int threads = 0;
  IsaLevel isa = IsaLevel::kPortable;  // of the loads: the kernels' level, AVX-512 at most (portable off x86-64)
};

// Four times the last-level cache (STREAM's rule) and at least 1 GiB, so caches cannot serve a meaningful share of
// a pass; capped at a quarter of the available memory.
uint64_t DefaultBandwidthBufferBytes();

// Allocates and fills the buffer (first touch by the pool's threads, so pages land near the threads that read
// them), then times full read passes over it with ParallelFor. Fails only when the buffer cannot be allocated.
Result<ReadBandwidth> MeasureReadBandwidth(const ReadBandwidthOptions& options = {});

// The measured loop: the XOR of all words of `words`, read with the loads of `isa` (which the CPU must support).
// `words` must be 64-byte aligned and hold a multiple of kXorBlockWords. Exposed so tests can check that every
// variant reads every byte.
inline constexpr size_t kXorBlockWords = 32;  // 256 bytes: four 64-byte loads in flight per step
uint64_t XorWords(std::span<const uint64_t> words, IsaLevel isa);

}  // namespace baleen
