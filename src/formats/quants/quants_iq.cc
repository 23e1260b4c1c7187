// Placeholder kernel table (filled in by the quant-format work). Formats layer.
#include "formats/quants/quants_internal.h"

namespace baleen::quants {

const RowKernels* FindIQuantKernels(GgmlType) { return nullptr; }

}  // namespace baleen::quants
