// SHA-256 (FIPS 180-4), incremental, for checking downloaded model files against a manifest. Base layer.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace baleen {

class Sha256 {
 public:
  Sha256();
  void Update(std::span<const uint8_t> bytes);
  std::array<uint8_t, 32> Finish();  // the object must not be updated afterwards
  static std::string Hex(const std::array<uint8_t, 32>& digest);

 private:
  void Block(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace baleen
