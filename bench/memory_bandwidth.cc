// The read-bandwidth probe: an XOR reduction over a large buffer, one variant per instruction-set level.
#include "bench/memory_bandwidth.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "base/check.h"
#include "base/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace baleen {
namespace {

// Each ParallelFor index is one chunk: large enough that the per-chunk claim is free, small enough that a
// descheduled thread holds back little of a pass.
constexpr uint64_t kChunkBytes = 1ull << 20;
constexpr uint64_t kChunkWords = kChunkBytes / sizeof(uint64_t);

#if defined(__x86_64__)
// Four independent accumulators keep four loads in flight per step; XOR is a one-cycle op, so the loads, not the
// arithmetic, set the pace.
__attribute__((target("avx512f"))) uint64_t XorAvx512(const uint64_t* p, size_t n_words) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n_words; i += kXorBlockWords) {
    a0 = _mm512_xor_si512(a0, _mm512_load_si512(p + i));
    a1 = _mm512_xor_si512(a1, _mm512_load_si512(p + i + 8));
    a2 = _mm512_xor_si512(a2, _mm512_load_si512(p + i + 16));
    a3 = _mm512_xor_si512(a3, _mm512_load_si512(p + i + 24));
  }
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3)));
  uint64_t x = 0;
  for (uint64_t lane : lanes) x ^= lane;
  return x;
}

__attribute__((target("avx2"))) uint64_t XorAvx2(const uint64_t* p, size_t n_words) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n_words; i += kXorBlockWords) {
    const auto* v = reinterpret_cast<const __m256i*>(p + i);
    a0 = _mm256_xor_si256(a0, _mm256_xor_si256(_mm256_load_si256(v + 0), _mm256_load_si256(v + 1)));
    a1 = _mm256_xor_si256(a1, _mm256_xor_si256(_mm256_load_si256(v + 2), _mm256_load_si256(v + 3)));
    a2 = _mm256_xor_si256(a2, _mm256_xor_si256(_mm256_load_si256(v + 4), _mm256_load_si256(v + 5)));
    a3 = _mm256_xor_si256(a3, _mm256_xor_si256(_mm256_load_si256(v + 6), _mm256_load_si256(v + 7)));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes),
                     _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3)));
  return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
}
#endif

// Whatever the compiler makes of plain 64-bit words at its baseline target (SSE2 on x86-64).
uint64_t XorPortable(const uint64_t* p, size_t n_words) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t i = 0; i < n_words; i += 4) {
    a0 ^= p[i];
    a1 ^= p[i + 1];
    a2 ^= p[i + 2];
    a3 ^= p[i + 3];
  }
  return a0 ^ a1 ^ a2 ^ a3;
}

// glibc's figure, from CPUID; in a VM it can be the whole host's L3 rather than the guest's share, which only makes
// the buffer larger than it needs to be.
uint64_t LastLevelCacheBytes() {
  for (int name : {_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long bytes = sysconf(name);
    if (bytes > 0) return static_cast<uint64_t>(bytes);
  }
  return 32ull << 20;  // not reported: a typical server L3
}

// MemAvailable (free memory plus the page cache the kernel can drop) from /proc/meminfo; 0 when unreadable.
uint64_t AvailableMemoryBytes() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
  }
  std::fclose(f);
  return static_cast<uint64_t>(kib) << 10;
}

// Anonymous memory, released on scope exit. Huge pages by default keep TLB misses out of the figure: the best the
// memory can deliver is what a bound needs.
class Buffer {
 public:
  Buffer(uint64_t bytes, bool huge_pages) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    madvise(p, bytes, huge_pages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    words_ = static_cast<uint64_t*>(p);
  }
  ~Buffer() {
    if (words_ != nullptr) munmap(words_, bytes_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  uint64_t* words() const { return words_; }

 private:
  uint64_t bytes_;
  uint64_t* words_ = nullptr;
};

// One timed pass: every chunk XORed into the executing thread's slot. Returns seconds; `sink` keeps the reads live.
double TimedPass(const uint64_t* words, int64_t n_chunks, IsaLevel isa, std::vector<uint64_t>& sink) {
  const auto start = std::chrono::steady_clock::now();
  ParallelFor(n_chunks, 1, [&](int64_t begin, int64_t end, int thread) {
    for (int64_t c = begin; c < end; ++c) {
      sink[static_cast<size_t>(thread) * 8] ^= XorWords({words + c * kChunkWords, kChunkWords}, isa);
    }
  });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

uint64_t XorWords(std::span<const uint64_t> words, IsaLevel isa) {
  CHECK(words.size() % kXorBlockWords == 0);
  CHECK(reinterpret_cast<uintptr_t>(words.data()) % 64 == 0);
#if defined(__x86_64__)
  if (isa >= IsaLevel::kAvx512) return XorAvx512(words.data(), words.size());
  if (isa >= IsaLevel::kAvx2) return XorAvx2(words.data(), words.size());
#endif
  return XorPortable(words.data(), words.size());
}

uint64_t DefaultBandwidthBufferBytes() {
  const uint64_t wanted = std::max<uint64_t>(4 * LastLevelCacheBytes(), 1ull << 30);
  const uint64_t available = AvailableMemoryBytes();
  const uint64_t cap = available > 0 ? available / 4 : wanted;
  return std::max<uint64_t>(std::min(wanted, cap) / kChunkBytes, 1) * kChunkBytes;
}

Result<ReadBandwidth> MeasureReadBandwidth(const ReadBandwidthOptions& options) {
  ReadBandwidth r;
  const uint64_t asked = options.buffer_bytes > 0 ? options.buffer_bytes : DefaultBandwidthBufferBytes();
  r.buffer_bytes = std::max<uint64_t>(asked / kChunkBytes, 1) * kChunkBytes;
  r.threads = ThreadPool::Global().n_threads();
  // The widest loads: the integer-dot levels add nothing here, and off x86-64 the loads are the portable loop.
  r.isa = IsArmLevel(KernelIsa()) ? IsaLevel::kPortable : std::min(KernelIsa(), IsaLevel::kAvx512);
  Buffer buffer(r.buffer_bytes, options.huge_pages);
  if (buffer.words() == nullptr) {
    return ResourceExhausted("cannot allocate " + std::to_string(r.buffer_bytes >> 20) +
                             " MiB for the memory bandwidth measurement");
  }
  const int64_t n_chunks = static_cast<int64_t>(r.buffer_bytes / kChunkBytes);
  uint64_t* words = buffer.words();
  ParallelFor(n_chunks, 1, [&](int64_t begin, int64_t end, int) {  // non-zero data, so no page stays shared-zero
    for (uint64_t i = begin * kChunkWords; i < static_cast<uint64_t>(end) * kChunkWords; ++i) {
      words[i] = i * 0x9E3779B97F4A7C15ull;
    }
  });
  std::vector<uint64_t> sink(static_cast<size_t>(r.threads) * 8);  // a cache line per thread
  TimedPass(words, n_chunks, r.isa, sink);                          // untimed: wakes the workers, warms the TLB
  for (int p = 0; p < std::max(options.passes, 1); ++p) {
    const double rate = static_cast<double>(r.buffer_bytes) / std::max(TimedPass(words, n_chunks, r.isa, sink), 1e-9);
    r.pass_bytes_per_s.push_back(rate);
    r.best_bytes_per_s = std::max(r.best_bytes_per_s, rate);
  }
  return r;
}

}  // namespace baleen
