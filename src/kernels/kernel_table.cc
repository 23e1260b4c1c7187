// The kernel table's columns, filled once per ISA level from every level up to it, and the row lookups.
#include "kernels/kernel_table.h"

#include <algorithm>
#include <array>

namespace baleen {
namespace {

using namespace kernel_columns;

// Every column filler with the level it needs. A level's column runs the fillers of all levels up to it in this
// order, so a later (higher) filler replaces what a lower one wrote for the same type and field.
struct Filler {
  IsaLevel level;
  void (*fill)(KernelColumn&);
};

constexpr Filler kFillers[] = {
    {IsaLevel::kPortable, AddPortableDecoders},
    {IsaLevel::kPortable, AddPortableDots},
    {IsaLevel::kPortable, AddPortableIQuantDots},
    {IsaLevel::kPortable, AddPackedLayouts},
#if defined(__x86_64__)
    {IsaLevel::kAvx2, AddAvx2Decoders},
    {IsaLevel::kAvx2, AddAvx2Dots},
    {IsaLevel::kAvx2, AddAvx2IQuantDots},
    {IsaLevel::kAvx2, AddAvx2KQuantDots},
    {IsaLevel::kAvx2, AddAvx2Fused},
    {IsaLevel::kAvx2, AddAvx2Packed},
    {IsaLevel::kAvx2Vnni, AddAvx2VnniPacked},
    {IsaLevel::kAvx512, AddAvx512Decoders},
    {IsaLevel::kAvx512, AddAvx512Fused},
    {IsaLevel::kAvx512Vnni, AddAvx512VnniDots},
    {IsaLevel::kAvx512Vnni, AddAvx512VnniKQuantDots},
    {IsaLevel::kAvx512Vnni, AddAvx512VnniKQuantDots2},
    {IsaLevel::kAvx512Vnni, AddAvx512VnniIQuantDots},
    {IsaLevel::kAvx512Vnni, AddAvx512VnniPacked},
#elif defined(__aarch64__)
    {IsaLevel::kNeon, AddNeonDots},
    {IsaLevel::kNeonDot, AddNeonDotDots},
#endif
};

// Every level has a column on every architecture (empty of the other architecture's kernels: another branch's
// column is the portable one), so the table's shape and the tests' walk do not depend on where it is built.
constexpr int kLevels = static_cast<int>(IsaLevel::kNeonDot) + 1;

// Whether the column of `level` includes the kernels of `filler`: kPortable's and every level of its own branch up
// to it (x86 or ARM, cpu_features.h), except kAvx2Vnni's kernels in any column but its own (the levels above do not
// imply AVX-VNNI).
bool Overlays(IsaLevel level, IsaLevel filler) {
  if (filler == IsaLevel::kPortable) return true;
  return IsArmLevel(filler) == IsArmLevel(level) && filler <= level &&
         (filler != IsaLevel::kAvx2Vnni || level == IsaLevel::kAvx2Vnni);
}

// Built for every level (the tests and benchmarks compare them); a few dozen function pointers.
const std::array<KernelColumn, kLevels>& Columns() {
  static const std::array<KernelColumn, kLevels> columns = [] {
    std::array<KernelColumn, kLevels> built;
    for (int level = 0; level < kLevels; ++level) {
      for (const Filler& filler : kFillers) {
        if (Overlays(static_cast<IsaLevel>(level), filler.level)) filler.fill(built[level]);
      }
      built[level].Sort();
    }
    return built;
  }();
  return columns;
}

}  // namespace

TypeKernels& KernelColumn::Row(GgmlType type) {
  for (TypeKernels& row : rows_) {
    if (row.type == type) return row;
  }
  return rows_.emplace_back(TypeKernels{.type = type});
}

const TypeKernels* KernelColumn::Find(GgmlType type) const {
  for (const TypeKernels& row : rows_) {
    if (row.type == type) return &row;
  }
  return nullptr;
}

void KernelColumn::Sort() {
  std::sort(rows_.begin(), rows_.end(), [](const TypeKernels& a, const TypeKernels& b) { return a.type < b.type; });
}

const TypeKernels* KernelRow(GgmlType type, IsaLevel level) { return Columns()[static_cast<int>(level)].Find(type); }

const TypeKernels* KernelRow(GgmlType type) {
  static const KernelColumn& resolved = Columns()[static_cast<int>(KernelIsa())];
  return resolved.Find(type);
}

IsaLevel LevelBelow(IsaLevel level) {
  if (level == IsaLevel::kAvx512) return IsaLevel::kAvx2;
  if (level == IsaLevel::kNeon) return IsaLevel::kPortable;
  return level == IsaLevel::kPortable ? level : static_cast<IsaLevel>(static_cast<int>(level) - 1);
}

std::span<const TypeKernels> KernelRows(IsaLevel level) { return Columns()[static_cast<int>(level)].rows(); }

}  // namespace baleen
