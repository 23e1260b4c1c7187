// The instruction-set level the kernels dispatch to: the best the CPU has, or lower when BALEEN_ISA asks for it
// (BALEEN_ISA=avx2 or portable), so every kernel variant can be tested and compared on one machine. Kernels layer.
#pragma once

namespace baleen {

enum class IsaLevel { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

IsaLevel KernelIsa();
const char* IsaLevelName(IsaLevel level);

}  // namespace baleen
