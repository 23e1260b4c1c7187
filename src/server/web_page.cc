// The chat page's files, embedded from src/server/web/ by cmake/EmbedWeb.cmake. Server layer.
#include "server/web_page.h"

namespace baleen {
namespace {

using namespace std::string_view_literals;  // "..."sv: a literal's full length, not up to its first NUL

// Embedded rather than read from disk at run time, so the binary serves the page it was built with and needs no
// install path; string_views over literals cost no allocation per request.
constexpr WebAsset kWebAssets[] = {
#include "web_page.inc"
};

}  // namespace

const WebAsset* FindWebAsset(std::string_view path) {
  for (const WebAsset& asset : kWebAssets) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace baleen
