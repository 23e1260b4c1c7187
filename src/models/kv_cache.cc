// KvCache storage (F32 for now; a narrower cache type is a later speed/memory step). Large `new float[]`
// allocations come from mmap, untouched until written.
#include "models/kv_cache.h"

namespace baleen {

KvCache::KvCache(int64_t n_layers, int64_t n_ctx, int64_t k_width, int64_t v_width)
    : n_layers_(n_layers), n_ctx_(n_ctx), k_width_(k_width), v_width_(v_width),
      k_(new float[static_cast<size_t>(n_layers * n_ctx * k_width)]),
      v_(new float[static_cast<size_t>(n_layers * n_ctx * v_width)]) {}

}  // namespace baleen
