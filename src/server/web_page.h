// The chat page's files (src/server/web/), embedded at build time and served at fixed paths: the page at GET /,
// its script at /chat.js and its style sheet at /chat.css. Server layer.
#pragma once

#include <string_view>

namespace baleen {

struct WebAsset {
  std::string_view path;          // where it is served: "/", "/chat.js", "/chat.css"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;          // the file byte for byte; static storage, valid for the life of the process
};

// The embedded file served at `path` (without its query string), or nullptr.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace baleen
