// Packing a model's matrices at load, in parallel, into 64-byte-aligned buffers.
#include "kernels/packed_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "base/check.h"
#include "base/thread_pool.h"
#include "kernels/packed_rows.h"

namespace baleen {
namespace {

// The whole pages inside [data, data + size).
void ReleasePages(const uint8_t* data, uint64_t size) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t start = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (start + page - 1) & ~(page - 1), end = (start + size) & ~(page - 1);
  if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
}

}  // namespace

WeightMatrix PackedWeights::Pack(WeightMatrix w, int64_t rows_per_slice, Source source) {
  if (rows_per_slice <= 0 || rows_per_slice % kPackRows != 0 || !CanPackRows(w.type, w.rows, w.cols)) return w;
  const uint64_t group_bytes = PackedGroupBytes(w.type, w.cols);
  const int64_t n_groups = w.rows / kPackRows;
  const uint64_t size = (group_bytes * static_cast<uint64_t>(n_groups) + 63) / 64 * 64;
  uint8_t* buffer = static_cast<uint8_t*>(std::aligned_alloc(64, size));
  CHECK(buffer != nullptr);
  buffers_.emplace_back(buffer);
  ParallelFor(n_groups, std::max<int64_t>(1, n_groups / 64), [&](int64_t begin, int64_t end, int) {
    PackRows(w.type, w.data + static_cast<uint64_t>(begin * kPackRows) * w.row_bytes, w.row_bytes,
             (end - begin) * kPackRows, w.cols, buffer + static_cast<uint64_t>(begin) * group_bytes);
  });
  sources_.push_back(w.data);
  if (release_sources_ && source == kFileMapping) ReleasePages(w.data, static_cast<uint64_t>(w.rows) * w.row_bytes);
  bytes_ += size;
  w.packed = buffer;
  return w;
}

bool PackedWeights::Packed(const uint8_t* data) const {
  return std::find(sources_.begin(), sources_.end(), data) != sources_.end();
}

}  // namespace baleen
