// Per-thread work budget of a render; see budget.h. Thread-local because the budget follows the render down
// into free functions (Equals, Repr, Decode) that have no interpreter at hand.
#include "text/jinja/budget.h"

#include "text/jinja/value.h"

namespace baleen::jinja {
namespace {

thread_local int64_t remaining = 0;
thread_local bool active = false;

}  // namespace

void ChargeWork(int64_t units) {
  if (!active) return;
  remaining -= units;
  if (remaining < 0) {
    remaining = 0;
    ThrowError("template exceeded its work budget (too many element operations)");
  }
}

WorkBudgetScope::WorkBudgetScope(int64_t units) : saved_remaining_(remaining), saved_active_(active) {
  remaining = units;
  active = true;
}

WorkBudgetScope::~WorkBudgetScope() {
  remaining = saved_remaining_;
  active = saved_active_;
}

}  // namespace baleen::jinja
