// The instruction-set level the kernels dispatch to: the best the CPU has, or lower when BALEEN_ISA asks for it
// (BALEEN_ISA=avx512, avx2vnni, avx2 or portable on x86-64; neondot, neon or portable on AArch64), so every kernel
// variant can be tested and compared on one machine.
// Kernels layer.
#pragma once

namespace baleen {

// Ordered: a level includes everything below it, except kAvx2Vnni, a side branch of kAvx2. kAvx2Vnni is AVX2 with
// AVX-VNNI's 256-bit VPDPBUSD (Intel's client cores since Alder Lake, which have no AVX-512); CPUs with AVX-512 do
// not all have AVX-VNNI (Skylake to Ice Lake servers lack it), so the levels above never include its kernels.
// kAvx512Vnni adds the 8- and 16-bit integer dot products (VPDPBUSD, VPDPWSSD) with AVX-512 BW and VL (and F16C,
// FMA) to AVX-512 F. The F32 kernels treat kAvx2Vnni as kAvx2 and kAvx512Vnni as kAvx512.
// The AArch64 levels are a branch of their own above kPortable (IsArmLevel): an ARM level includes kPortable and the
// ARM levels below it, never an x86 one, and no x86 level includes them. kNeon is baseline Advanced SIMD (every
// AArch64 CPU); kNeonDot adds ARMv8.2's SDOT/UDOT (the dotprod extension: Cortex-A55/A75 on, Neoverse, Apple M).
enum class IsaLevel { kPortable = 0, kAvx2 = 1, kAvx2Vnni = 2, kAvx512 = 3, kAvx512Vnni = 4, kNeon = 5, kNeonDot = 6 };

constexpr bool IsArmLevel(IsaLevel level) { return level >= IsaLevel::kNeon; }

IsaLevel KernelIsa();
const char* IsaLevelName(IsaLevel level);

// Whether this CPU can run the kernels of `level` (kPortable, any level of its own branch up to its own, and
// kAvx2Vnni only with AVX-VNNI):
// what the tests and benchmarks walk.
bool CpuRuns(IsaLevel level);

}  // namespace baleen
