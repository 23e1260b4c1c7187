// Work budget of one render: elementary operations (element comparisons, characters decoded, JSON nodes
// written) are charged here so that hostile templates fail cleanly instead of running for hours. Text layer.
#pragma once

#include <cstdint>

namespace baleen::jinja {

// Charges `units` against the budget of the render running on this thread (no-op outside a render).
// Throws JinjaError when the budget is exhausted.
void ChargeWork(int64_t units);

// Installs a budget for the current thread for the lifetime of the scope.
class WorkBudgetScope {
 public:
  explicit WorkBudgetScope(int64_t units);
  ~WorkBudgetScope();
  WorkBudgetScope(const WorkBudgetScope&) = delete;
  WorkBudgetScope& operator=(const WorkBudgetScope&) = delete;

 private:
  int64_t saved_remaining_;
  bool saved_active_;
};

}  // namespace baleen::jinja
