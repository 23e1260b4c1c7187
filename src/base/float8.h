// Scalar decoding of the 8-bit float formats that checkpoints store (OCP FP8 E4M3 "fn" and E5M2). Base layer.
// A 256-entry table would be faster, but weights are dequantized once at load, so the plain rule stays readable.
#pragma once

#include <cmath>
#include <cstdint>

namespace baleen {

// E4M3 (fn variant, as torch.float8_e4m3fn and DeepSeek-V3 use it): bias 7, no infinities, S.1111.111 is NaN,
// largest finite value 448.
inline float Fp8E4m3ToFloat(uint8_t b) {
  const bool negative = (b & 0x80) != 0;
  const int exponent = (b >> 3) & 0xf, mantissa = b & 0x7;
  float magnitude;
  if (exponent == 0xf && mantissa == 0x7) {
    magnitude = NAN;
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m/8 * 2^-6
  } else {
    magnitude = std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);  // (1 + m/8) * 2^(e-7)
  }
  return negative ? -magnitude : magnitude;
}

// E5M2 (IEEE-like: bias 15, infinities and NaNs), the upper byte of an IEEE half.
inline float Fp8E5m2ToFloat(uint8_t b) {
  const bool negative = (b & 0x80) != 0;
  const int exponent = (b >> 2) & 0x1f, mantissa = b & 0x3;
  float magnitude;
  if (exponent == 0x1f) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -16);  // m/4 * 2^-14
  } else {
    magnitude = std::ldexp(static_cast<float>(4 + mantissa), exponent - 17);  // (1 + m/4) * 2^(e-15)
  }
  return negative ? -magnitude : magnitude;
}

}  // namespace baleen
