// Python-compatible JSON text for the DeepSeek encoders' to_json (text layer): json.dumps(value,
// ensure_ascii=False) with the default ", " / ": " separators and Python's float repr. nlohmann's dump() differs
// in separators and in where floats switch to exponent notation, so it cannot be used.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "text/chat_format/chat_messages.h"

namespace baleen::chat_format {
namespace {

void AppendString(const std::string& text, std::string& out) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Python's float.__repr__: the shortest round-tripping digits, positional when the decimal exponent is in
// [-4, 16), else d.ddde±XX with at least two exponent digits; integral values keep ".0".
void AppendFloat(double value, std::string& out) {
  if (std::isnan(value)) { out += "NaN"; return; }
  if (std::isinf(value)) { out += value > 0 ? "Infinity" : "-Infinity"; return; }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string sci(buffer, end);  // "-1.2345e+17"
  const size_t e_pos = sci.find('e');
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  std::string mantissa = sci.substr(0, e_pos);
  const bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) if (c != '.') digits += c;
  if (negative) out += '-';
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (digits.size() > 1) out.append(".").append(digits, 1);
    char exp_text[16];
    std::snprintf(exp_text, sizeof(exp_text), "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
    out += exp_text;
  } else if (exponent < 0) {
    out.append("0.").append(static_cast<size_t>(-exponent - 1), '0').append(digits);
  } else {
    const size_t int_digits = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_digits) {
      out.append(digits).append(int_digits - digits.size(), '0').append(".0");
    } else {
      out.append(digits, 0, int_digits).append(".").append(digits, int_digits);
    }
  }
}

void AppendValue(const nlohmann::ordered_json& value, std::string& out) {
  using Type = nlohmann::ordered_json::value_t;
  switch (value.type()) {
    case Type::null: out += "null"; break;
    case Type::boolean: out += value.get<bool>() ? "true" : "false"; break;
    case Type::number_integer: out += std::to_string(value.get<int64_t>()); break;
    case Type::number_unsigned: out += std::to_string(value.get<uint64_t>()); break;
    case Type::number_float: AppendFloat(value.get<double>(), out); break;
    case Type::string: AppendString(value.get_ref<const std::string&>(), out); break;
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        AppendValue(item, out);
      }
      out += ']';
      break;
    }
    case Type::object: {
      out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        AppendString(it.key(), out);
        out += ": ";
        AppendValue(it.value(), out);
      }
      out += '}';
      break;
    }
    default: out += "null"; break;  // binary and discarded values cannot come from JSON text
  }
}

}  // namespace

std::string PythonJsonDumps(const nlohmann::ordered_json& value) {
  std::string out;
  AppendValue(value, out);
  return out;
}

}  // namespace baleen::chat_format
