// Binary units, two decimals above bytes.
#include "base/format_bytes.h"

#include <cstdio>

namespace baleen {

std::string FormatBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char out[32];
  std::snprintf(out, sizeof(out), unit == 0 ? "%.0f %s" : "%.2f %s", value, units[unit]);
  return out;
}

}  // namespace baleen
