// The kernel table's rows against each other at every ISA level (the kernels themselves are tested against the
// scalar references in quant_dot_test.cc and kernels_test.cc, over the same rows).
#include "kernels/kernel_table.h"

#include <gtest/gtest.h>

namespace baleen {
namespace {

constexpr IsaLevel kAllLevels[] = {IsaLevel::kPortable,    IsaLevel::kAvx2, IsaLevel::kAvx2Vnni, IsaLevel::kAvx512,
                                   IsaLevel::kAvx512Vnni, IsaLevel::kNeon, IsaLevel::kNeonDot};

// What every row declares holds together at every level (whether or not this CPU runs it): a packed kernel comes with
// its layout and an unpacked dot on the same activation blocks, activation blocks divide the weight blocks, a higher
// level keeps every kernel a lower one has, and every integer kernel has the portable one (the scalar reference's
// integer sums) below it.
TEST(KernelTable, RowsAreConsistent) {
  for (IsaLevel level : kAllLevels) {
    const char* name = IsaLevelName(level);
    GgmlType previous = GgmlType::kF32;
    bool first = true;
    for (const TypeKernels& row : KernelRows(level)) {
      const char* type = GgmlTypeName(row.type);
      EXPECT_TRUE(first || previous < row.type) << "rows out of order or repeated at " << name << ": " << type;
      first = false;
      previous = row.type;
      EXPECT_EQ(KernelRow(row.type, level), &row) << type << " at " << name;
      EXPECT_TRUE(row.decode != nullptr || row.dot.tile != nullptr || row.fused != nullptr || row.pack != nullptr)
          << "empty row " << type << " at " << name;
      const int64_t block_elems = GetGgmlTypeInfo(row.type).block_elems;
      if (row.dot.tile != nullptr) {
        EXPECT_TRUE(row.dot.act_block == 32 || row.dot.act_block == 256) << type << " at " << name;
        EXPECT_EQ(block_elems % row.dot.act_block, 0) << type << " at " << name;
        const TypeKernels* portable = KernelRow(row.type, IsaLevel::kPortable);
        ASSERT_NE(portable, nullptr) << type;
        EXPECT_NE(portable->dot.tile, nullptr) << type << " has no portable integer kernel";
        EXPECT_EQ(portable->dot.act_block, row.dot.act_block) << type << " at " << name;
      }
      EXPECT_EQ(row.pack == nullptr, row.packed_block_bytes == 0) << type << " at " << name;
      if (row.packed.tile != nullptr) {
        EXPECT_NE(row.pack, nullptr) << type << " at " << name;
        EXPECT_NE(row.dot.tile, nullptr) << "packed kernel without an unpacked one: " << type << " at " << name;
        EXPECT_EQ(row.packed.act_block, row.dot.act_block) << type << " at " << name;
      }
      if (level != IsaLevel::kPortable) {
        const TypeKernels* below = KernelRow(row.type, LevelBelow(level));
        if (below == nullptr) continue;
        EXPECT_TRUE(below->decode == nullptr || row.decode != nullptr) << type << " at " << name;
        EXPECT_TRUE(below->dot.tile == nullptr || row.dot.tile != nullptr) << type << " at " << name;
        EXPECT_TRUE(below->fused == nullptr || row.fused != nullptr) << type << " at " << name;
        EXPECT_TRUE(below->packed.tile == nullptr || row.packed.tile != nullptr) << type << " at " << name;
      }
    }
    for (GgmlType type : {GgmlType::kF32, GgmlType::kQ8_1, GgmlType::kTQ2_0}) {
      EXPECT_EQ(KernelRow(type, level), nullptr) << GgmlTypeName(type) << " at " << name;
    }
  }
}

// The x86 and ARM levels are separate branches above kPortable, and each architecture compiles only its own kernels:
// the other branch's columns hold exactly the portable ones (a column never mixes the two instruction sets).
TEST(KernelTable, OtherBranchHoldsThePortableKernels) {
#if defined(__aarch64__)
  constexpr IsaLevel kOther[] = {IsaLevel::kAvx2, IsaLevel::kAvx2Vnni, IsaLevel::kAvx512, IsaLevel::kAvx512Vnni};
#else
  constexpr IsaLevel kOther[] = {IsaLevel::kNeon, IsaLevel::kNeonDot};
#endif
  for (IsaLevel level : kOther) {
    EXPECT_FALSE(CpuRuns(level)) << IsaLevelName(level);
    const auto rows = KernelRows(level);
    const auto portable = KernelRows(IsaLevel::kPortable);
    ASSERT_EQ(rows.size(), portable.size()) << IsaLevelName(level);
    for (size_t i = 0; i < rows.size(); ++i) {
      const char* type = GgmlTypeName(rows[i].type);
      EXPECT_EQ(rows[i].type, portable[i].type) << IsaLevelName(level);
      EXPECT_EQ(rows[i].decode, portable[i].decode) << type << " at " << IsaLevelName(level);
      EXPECT_EQ(rows[i].dot.tile, portable[i].dot.tile) << type << " at " << IsaLevelName(level);
      EXPECT_EQ(rows[i].fused, portable[i].fused) << type << " at " << IsaLevelName(level);
      EXPECT_EQ(rows[i].pack, portable[i].pack) << type << " at " << IsaLevelName(level);
      EXPECT_EQ(rows[i].packed.tile, portable[i].packed.tile) << type << " at " << IsaLevelName(level);
    }
  }
}

// The resolved row is the one of the level KernelIsa() reports, and the public lookups read it.
TEST(KernelTable, ResolvedForTheKernelIsa) {
  for (const TypeKernels& row : KernelRows(KernelIsa())) {
    EXPECT_EQ(KernelRow(row.type), &row) << GgmlTypeName(row.type);
    EXPECT_EQ(FastRowDecoder(row.type), row.decode) << GgmlTypeName(row.type);
    EXPECT_EQ(FusedDot(row.type), row.fused) << GgmlTypeName(row.type);
    EXPECT_EQ(QuantDot(row.type), row.dot.tile != nullptr ? &row.dot : nullptr) << GgmlTypeName(row.type);
    EXPECT_EQ(PackedDot(row.type), row.packed.tile != nullptr ? &row.packed : nullptr) << GgmlTypeName(row.type);
  }
}

}  // namespace
}  // namespace baleen
