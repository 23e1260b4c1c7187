// The instruction-set level the kernels dispatch to: the best the CPU has, or lower when BALEEN_ISA asks for it
// (BALEEN_ISA=avx512, avx2 or portable), so every kernel variant can be tested and compared on one machine. Kernels
// layer.
#pragma once

namespace baleen {

// Ordered: a level includes everything below it. kAvx512Vnni adds the 8- and 16-bit integer dot products
// (VPDPBUSD, VPDPWSSD) with AVX-512 BW and VL (and F16C, FMA) to AVX-512 F; the F32 kernels treat it as kAvx512.
enum class IsaLevel { kPortable = 0, kAvx2 = 1, kAvx512 = 2, kAvx512Vnni = 3 };

IsaLevel KernelIsa();
const char* IsaLevelName(IsaLevel level);

}  // namespace baleen
