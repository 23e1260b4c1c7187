// Python str semantics on UTF-8 strings: code-point indexing, whitespace, case mapping, split/strip/splitlines.
// Text layer, used by the Jinja interpreter so templates see the same string behaviour as CPython.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace baleen::jinja::pystr {

// Decodes UTF-8 into code points. An invalid byte becomes one code point 0xDC80+byte (Python's
// surrogateescape), so that decoding then encoding is lossless and lengths stay well defined.
std::vector<char32_t> Decode(std::string_view s);
std::string Encode(const std::vector<char32_t>& cps);
std::string Encode(char32_t cp);
void AppendUtf8(char32_t cp, std::string* out);
bool IsAscii(std::string_view s);
size_t Length(std::string_view s);  // in code points

bool IsSpace(char32_t cp);  // str.isspace(): Unicode White_Space plus \x1c-\x1f
bool IsLineBreak(char32_t cp);  // the separators of str.splitlines()
bool IsAlpha(char32_t cp);
bool IsDigit(char32_t cp);
bool IsAlnum(char32_t cp);
bool IsUpper(char32_t cp);
bool IsLower(char32_t cp);
char32_t ToUpper(char32_t cp);
char32_t ToLower(char32_t cp);

std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
std::string Capitalize(std::string_view s);  // str.capitalize()
std::string Title(std::string_view s);       // str.title()

// strip/lstrip/rstrip: chars == nullptr strips whitespace, else the given set of code points.
std::string Strip(std::string_view s, const std::string* chars, bool left, bool right);

// str.split(sep, maxsplit) / str.rsplit; sep == nullptr splits on whitespace runs.
std::vector<std::string> Split(std::string_view s, const std::string* sep, int64_t maxsplit);
std::vector<std::string> RSplit(std::string_view s, const std::string* sep, int64_t maxsplit);
std::vector<std::string> SplitLines(std::string_view s, bool keepends);

std::string Replace(std::string_view s, std::string_view old_sub, std::string_view new_sub, int64_t count);
int64_t Count(std::string_view s, std::string_view sub);
// Byte substring search in linear time (glibc's two-way memmem), from byte offset `from`.
size_t FindBytes(std::string_view hay, std::string_view needle, size_t from);
// str.find / str.rfind; returns a code-point index or -1.
int64_t Find(std::string_view s, std::string_view sub, bool reverse);

// Python repr() of a str: quotes chosen as CPython does, non-printable characters escaped.
std::string Repr(std::string_view s);

}  // namespace baleen::jinja::pystr
