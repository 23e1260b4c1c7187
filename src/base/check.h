// CHECK (always on) and DCHECK (debug only): invariants whose failure is a bug, not bad input. Base layer.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace baleen::internal {
[[noreturn]] inline void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "CHECK failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}
}  // namespace baleen::internal

#define CHECK(cond) \
  ((cond) ? (void)0 : ::baleen::internal::CheckFailed(#cond, __FILE__, __LINE__))

#ifdef NDEBUG
#define DCHECK(cond) ((void)0)
#else
#define DCHECK(cond) CHECK(cond)
#endif
