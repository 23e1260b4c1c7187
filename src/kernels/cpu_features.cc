// CPU feature detection (GCC's __builtin_cpu_supports on x86-64, the kernel's HWCAP bits on AArch64) capped by the
// BALEEN_ISA environment variable.
#include "kernels/cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)  // the Linux ABI's bit for SDOT/UDOT, for C libraries whose headers predate it
#endif
#endif

namespace baleen {
namespace {

// AVX-VNNI is CPUID leaf 7, sub-leaf 1, EAX bit 4 (GCC 12 and clang 14 name no __builtin_cpu_supports test for it).
bool HasAvxVnni() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0 && ((eax >> 4) & 1) != 0;
#else
  return false;
#endif
}

IsaLevel Detect() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) {
    // The VNNI kernels also use F16C's conversions; every AVX-512 CPU has F16C, and clang 14 (the fuzz build)
    // cannot test for it with __builtin_cpu_supports.
    const bool vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
    return vnni ? IsaLevel::kAvx512Vnni : IsaLevel::kAvx512;
  }
  // The AVX2 kernels use F16C too: every CPU with AVX2 and FMA has it.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return HasAvxVnni() ? IsaLevel::kAvx2Vnni : IsaLevel::kAvx2;
  }
#elif defined(__aarch64__)
  // Advanced SIMD is part of the AArch64 base architecture; dotprod is optional before ARMv8.4.
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0 ? IsaLevel::kNeonDot : IsaLevel::kNeon;
#endif
  return IsaLevel::kPortable;
}

IsaLevel Resolve() {
  IsaLevel level = Detect();
  if (const char* cap = std::getenv("BALEEN_ISA")) {
    if (std::strcmp(cap, "portable") == 0) level = IsaLevel::kPortable;
    // A cap names a level of this CPU's own branch; another branch's name leaves the level as it is.
    if (IsArmLevel(level)) {
      if (std::strcmp(cap, "neon") == 0) level = IsaLevel::kNeon;
      return level;
    }
    if (std::strcmp(cap, "avx512") == 0 && level > IsaLevel::kAvx512) level = IsaLevel::kAvx512;
    if (std::strcmp(cap, "avx2vnni") == 0 && level > IsaLevel::kAvx2Vnni) {
      level = HasAvxVnni() ? IsaLevel::kAvx2Vnni : IsaLevel::kAvx2;
    }
    if (std::strcmp(cap, "avx2") == 0 && level > IsaLevel::kAvx2) level = IsaLevel::kAvx2;
  }
  return level;
}

}  // namespace

IsaLevel KernelIsa() {
  static const IsaLevel level = Resolve();
  return level;
}

const char* IsaLevelName(IsaLevel level) {
  switch (level) {
    case IsaLevel::kAvx512Vnni: return "avx512vnni";
    case IsaLevel::kAvx512: return "avx512";
    case IsaLevel::kAvx2Vnni: return "avx2vnni";
    case IsaLevel::kAvx2: return "avx2";
    case IsaLevel::kNeonDot: return "neondot";
    case IsaLevel::kNeon: return "neon";
    case IsaLevel::kPortable: return "portable";
  }
  return "portable";
}

bool CpuRuns(IsaLevel level) {
  if (level == IsaLevel::kPortable) return true;
  return IsArmLevel(level) == IsArmLevel(KernelIsa()) && level <= KernelIsa() &&
         (level != IsaLevel::kAvx2Vnni || HasAvxVnni());
}

}  // namespace baleen
