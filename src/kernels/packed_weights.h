// The owner of the repacked copies of a model's weight matrices (packed_rows.h), made once at load. Kernels layer.
// A packed copy takes the place of the file's rows for the integer kernels; the original view stays valid for
// everything else (exact mode, row lookups, sub-matrices that do not start and end on a 16-row boundary).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/matmul.h"

namespace baleen {

class PackedWeights {
 public:
  // w with `packed` set to a new interleaved copy of its rows, when the CPU and format have packed kernels and
  // `rows_per_slice` (the rows of each sub-matrix the model will take, e.g. one expert) is a multiple of 16;
  // otherwise w unchanged. Packs in parallel on the global thread pool. kOwned: w's rows are memory the model owns
  // (built at load), which set_release_sources never drops.
  enum Source { kFileMapping, kOwned };
  WeightMatrix Pack(WeightMatrix w, int64_t rows_per_slice, Source source = kFileMapping);

  // With `release`, the pages of each source matrix are dropped from the process once packed (MADV_DONTNEED), so
  // loading never holds both copies; the kernel reads them back from the file if the originals are used. Only for
  // sources in a read-only file mapping: anonymous memory would be zeroed.
  void set_release_sources(bool release) { release_sources_ = release; }

  uint64_t bytes() const { return bytes_; }
  // Whether `data` (a tensor's first byte in the file) has a packed copy.
  bool Packed(const uint8_t* data) const;

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t, Free>> buffers_;
  std::vector<const uint8_t*> sources_;
  uint64_t bytes_ = 0;
  bool release_sources_ = false;
};

}  // namespace baleen
