// The spec's `update` section (docs/spec.md "update"): where the node's
// agent looks for releases and how it takes them.
#pragma once

#include "spec/spec.h"
#include "spec/yaml_reader.h"

namespace hull::spec {

// Parses and checks the `update` map into `u` (fields absent keep their
// values). Errors name the field and what is allowed.
Status ParseUpdate(const YamlReader& r, const YAML::Node& n, Update& u);

}  // namespace hull::spec
