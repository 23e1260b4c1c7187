// Include first in every reference-kernel file: turns off floating-point contraction for the rest of the file.
// Formats layer. Every product and sum must round on its own, as in the ecosystem's scalar reference; compilers
// would otherwise fuse a*b+c into one FMA on targets that have it (GCC even across statements), which rounds once
// and so misses the known answers and the ecosystem's encoded bytes.
#pragma once

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
