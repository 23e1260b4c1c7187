// Human-readable byte counts for messages and summaries ("512 B", "27.14 MiB", "1.76 GiB"). Base layer.
#pragma once

#include <cstdint>
#include <string>

namespace baleen {

std::string FormatBytes(uint64_t bytes);

}  // namespace baleen
