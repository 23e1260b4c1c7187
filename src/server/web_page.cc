// The chat page's bytes, embedded from src/server/web/index.html by cmake/EmbedWeb.cmake. Server layer.
#include "server/web_page.h"

namespace baleen {
namespace {

// Embedded rather than read from disk at run time, so the binary serves the page it was built with and needs no
// install path; a string_view over a literal costs no allocation per request.
constexpr std::string_view kChatPageHtml =
#include "web_page.inc"
    ;

}  // namespace

std::string_view ChatPageHtml() { return kChatPageHtml; }

}  // namespace baleen
