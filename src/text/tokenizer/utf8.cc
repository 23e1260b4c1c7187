// UTF-8 validation and lossy decoding (text layer).
#include "text/tokenizer/utf8.h"

namespace baleen::utf8 {
namespace {

// Valid range of the second byte for a given lead byte (Unicode Table 3-7); later bytes are always 80..BF.
bool SecondByteOk(unsigned char lead, unsigned char second) {
  if (lead == 0xE0) return second >= 0xA0 && second <= 0xBF;
  if (lead == 0xED) return second >= 0x80 && second <= 0x9F;
  if (lead == 0xF0) return second >= 0x90 && second <= 0xBF;
  if (lead == 0xF4) return second >= 0x80 && second <= 0x8F;
  return second >= 0x80 && second <= 0xBF;
}

// Expected sequence length for a lead byte, or 0 when the byte cannot start a sequence.
size_t LeadLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

size_t SequenceLength(std::string_view s, size_t* maximal_subpart) {
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const size_t want = LeadLength(byte(0));
  size_t have = 1;
  if (want > 1) {
    while (have < want && have < s.size()) {
      const bool ok = have == 1 ? SecondByteOk(byte(0), byte(1)) : (byte(have) & 0xC0) == 0x80;
      if (!ok) break;
      ++have;
    }
  }
  if (want != 0 && have == want) return want;
  if (maximal_subpart != nullptr) *maximal_subpart = have;
  return 0;
}

size_t FindInvalid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = SequenceLength(s.substr(i));
    if (len == 0) return i;
    i += len;
  }
  return s.size();
}

std::string ToValidLossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t subpart = 1;
    const size_t len = SequenceLength(bytes.substr(i), &subpart);
    if (len == 0) {
      out.append(kReplacementUtf8);
      i += subpart;
    } else {
      out.append(bytes.substr(i, len));
      i += len;
    }
  }
  return out;
}

size_t IncompleteSuffixLength(std::string_view bytes) {
  // An incomplete sequence is at most 3 bytes long; try the lead byte at each of the last three positions.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t start = n - back;
    const unsigned char lead = static_cast<unsigned char>(bytes[start]);
    if ((lead & 0xC0) == 0x80) continue;  // a continuation byte: the lead, if any, is further back
    const size_t want = LeadLength(lead);
    if (want <= back) return 0;  // complete (or invalid): nothing to wait for
    size_t subpart = 0;
    SequenceLength(bytes.substr(start), &subpart);
    return subpart == back ? back : 0;  // a valid prefix reaching the end of the buffer
  }
  return 0;
}

}  // namespace baleen::utf8
