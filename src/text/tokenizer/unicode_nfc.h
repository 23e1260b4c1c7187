// Unicode Normalization Form C for the tokenizer's NFC normalizer (text layer).
//
// Own tables (unicode_nfc_tables.cc, generated from Unicode 14.0, the version PCRE2 10.42 uses for \p{...}) rather
// than ICU: NFC needs only combining classes, one-level canonical decompositions and the composition exclusions
// (about 60 KB of source), and ICU would add a 30 MB runtime data library to a server that needs nothing else from it.
#pragma once

#include <string>
#include <string_view>

namespace baleen {

// Returns the NFC form of `text`, which must be valid UTF-8. Text made only of code points below U+0300 (all of
// ASCII and Latin-1) is returned unchanged without decoding.
std::string NfcNormalize(std::string_view text);

// The Unicode version of the normalization tables.
const char* NfcUnicodeVersion();

}  // namespace baleen
