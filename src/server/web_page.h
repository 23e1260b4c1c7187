// The chat page served at GET /: one self-contained HTML file (inline CSS and JS, no external fetches). Server layer.
#pragma once

#include <string_view>

namespace baleen {

// src/server/web/index.html as embedded at build time; static storage, valid for the life of the process.
std::string_view ChatPageHtml();

}  // namespace baleen
