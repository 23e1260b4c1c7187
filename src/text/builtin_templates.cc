// The table of built-in chat templates; the sources come from the generated builtin_templates.inc. Text layer.
#include "text/builtin_templates.h"

namespace baleen {
namespace {

constexpr BuiltinTemplate kTemplates[] = {
#include "builtin_templates.inc"
};

}  // namespace

std::span<const BuiltinTemplate> BuiltinTemplates() { return kTemplates; }

const BuiltinTemplate* FindBuiltinTemplate(std::string_view name) {
  for (const BuiltinTemplate& t : kTemplates) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string BuiltinTemplateNames() {
  std::string names;
  for (const BuiltinTemplate& t : kTemplates) {
    if (!names.empty()) names += ", ";
    names += t.name;
  }
  return names;
}

}  // namespace baleen
