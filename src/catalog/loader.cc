// Strict YAML -> Catalog. Sections in the order of catalog/aks.yaml.
#include <algorithm>
#include <map>

#include "catalog/catalog.h"
#include "catalog/yaml_reader.h"

namespace hull::catalog {
namespace {

Result<KubernetesVersion> KubeAt(const YamlReader& y, const YAML::Node& n, std::string_view what) {
  HULL_ASSIGN_OR_RETURN(std::string s, y.Scalar(n, what));
  auto v = ParseKubernetesVersion(s);
  if (!v.ok()) return y.At(n, v.error().message());
  return *v;
}

Result<Stage> StageAt(const YamlReader& y, const YAML::Node& map) {
  HULL_ASSIGN_OR_RETURN(std::string s, y.Str(map, "stage", "ga"));
  if (s == "ga") return Stage::kGa;
  if (s == "preview") return Stage::kPreview;
  if (s == "deprecated") return Stage::kDeprecated;
  if (s == "eol") return Stage::kEol;
  return y.At(map["stage"],
              fmt::format("unknown stage '{}' (known: ga, preview, deprecated, eol)", s));
}

// value | [values] | {not: value|[values]} | {min: v} | {below: v}
Result<Condition> ParseCondition(const YamlReader& y, const std::string& fact,
                                 const YAML::Node& n) {
  Condition c;
  c.fact = fact;
  const auto& facts = KnownFacts();
  if (std::find(facts.begin(), facts.end(), fact) == facts.end()) {
    std::string known;
    for (const auto& f : facts) known += (known.empty() ? "" : ", ") + f;
    return y.At(n, fmt::format("unknown fact '{}' (known: {})", fact, known));
  }
  YAML::Node values = n;
  if (n.IsMap()) {
    HULL_TRY(y.Map(n, "condition", {"not", "min", "below"}));
    if (n.size() != 1) return y.At(n, "a condition map holds exactly one of not, min, below");
    std::string op = n.begin()->first.Scalar();
    if (op == "min" || op == "below") {
      if (fact != "kubernetes_version") {
        return y.At(n, fmt::format("{} compares versions: only kubernetes_version", op));
      }
      c.op = op == "min" ? Condition::Op::kMin : Condition::Op::kBelow;
      HULL_ASSIGN_OR_RETURN(c.version, KubeAt(y, n[op], op));
      return c;
    }
    c.op = Condition::Op::kNotOneOf;
    values = n["not"];
  }
  if (values.IsSequence()) {
    HULL_TRY(y.List(values, fact));
    for (const auto& v : values) {
      HULL_ASSIGN_OR_RETURN(std::string s, y.Scalar(v, fact));
      c.values.push_back(std::move(s));
    }
    if (c.values.empty()) return y.At(values, "empty list of values");
  } else {
    HULL_ASSIGN_OR_RETURN(std::string s, y.Scalar(values, fact));
    c.values.push_back(std::move(s));
  }
  return c;
}

Result<std::vector<Condition>> ParseConditionMap(const YamlReader& y, const YAML::Node& n,
                                                 std::string_view what) {
  std::vector<Condition> out;
  if (!n.IsMap()) return y.At(n, fmt::format("{} must be a map of fact: condition", what));
  for (const auto& kv : n) {
    HULL_ASSIGN_OR_RETURN(std::string fact, y.Scalar(kv.first, "fact"));
    HULL_ASSIGN_OR_RETURN(Condition c, ParseCondition(y, fact, kv.second));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<Condition>> ParseConditions(const YamlReader& y, const YAML::Node& map,
                                               const char* key) {
  YAML::Node n = map[key];
  if (!n) return std::vector<Condition>{};
  return ParseConditionMap(y, n, key);
}

Status ParseRuleText(const YamlReader& y, const YAML::Node& n, Rule& r) {
  HULL_ASSIGN_OR_RETURN(r.id, y.Str(n, "id"));
  HULL_ASSIGN_OR_RETURN(r.message, y.Str(n, "message"));
  HULL_ASSIGN_OR_RETURN(r.fix, y.Str(n, "fix"));
  HULL_ASSIGN_OR_RETURN(r.source, y.Str(n, "source"));
  HULL_ASSIGN_OR_RETURN(r.note, y.Str(n, "note"));
  return Ok();
}

Status ParseRules(const YamlReader& y, const YAML::Node& root, Catalog& cat) {
  if (YAML::Node rules = root["rules"]) {
    HULL_TRY(y.List(rules, "rules"));
    for (const auto& n : rules) {
      HULL_TRY(y.Map(n, "rule",
                     {"id", "when", "require", "forbid", "message", "fix", "source", "note"},
                     {"id", "message", "fix"}));
      Rule r;
      HULL_TRY(ParseRuleText(y, n, r));
      HULL_ASSIGN_OR_RETURN(r.when, ParseConditions(y, n, "when"));
      HULL_ASSIGN_OR_RETURN(r.require, ParseConditions(y, n, "require"));
      HULL_ASSIGN_OR_RETURN(r.forbid, ParseConditions(y, n, "forbid"));
      if (r.require.empty() == r.forbid.empty()) {
        return y.At(n, fmt::format("rule {} needs exactly one of require, forbid", r.id));
      }
      cat.rules.push_back(std::move(r));
    }
  }
  if (YAML::Node conflicts = root["conflicts"]) {
    HULL_TRY(y.List(conflicts, "conflicts"));
    for (const auto& n : conflicts) {
      HULL_TRY(y.Map(n, "conflict", {"id", "between", "message", "fix", "source", "note"},
                     {"id", "between", "message", "fix"}));
      Rule r;
      r.conflict = true;
      HULL_TRY(ParseRuleText(y, n, r));
      YAML::Node between = n["between"];
      HULL_TRY(y.List(between, "between"));
      if (between.size() != 2) return y.At(between, "between names exactly two sides");
      HULL_ASSIGN_OR_RETURN(r.when, ParseConditionMap(y, between[0], "between[0]"));
      HULL_ASSIGN_OR_RETURN(r.forbid, ParseConditionMap(y, between[1], "between[1]"));
      cat.rules.push_back(std::move(r));
    }
  }
  return Ok();
}

Status ParseNamedValues(const YamlReader& y, const YAML::Node& root, const char* key,
                        NamedValues& out) {
  YAML::Node n = root[key];
  HULL_TRY(y.Map(n, key, {"known", "default", "source", "note"}, {"known", "default"}));
  HULL_ASSIGN_OR_RETURN(out.known, y.StrList(n, "known"));
  HULL_ASSIGN_OR_RETURN(out.default_value, y.Str(n, "default"));
  HULL_ASSIGN_OR_RETURN(out.source, y.Str(n, "source"));
  if (std::find(out.known.begin(), out.known.end(), out.default_value) == out.known.end()) {
    return y.At(n["default"], fmt::format("default '{}' is not among known", out.default_value));
  }
  return Ok();
}

Status ParseOsTypes(const YamlReader& y, const YAML::Node& root, Catalog& cat) {
  YAML::Node n = root["os_types"];
  HULL_TRY(y.Map(n, "os_types", {"default", "types"}, {"default", "types"}));
  HULL_ASSIGN_OR_RETURN(cat.default_os_type, y.Str(n, "default"));
  HULL_TRY(y.List(n["types"], "types"));
  for (const auto& t : n["types"]) {
    HULL_TRY(y.Map(t, "os type", {"name", "default_sku"}, {"name", "default_sku"}));
    OsType ot;
    HULL_ASSIGN_OR_RETURN(ot.name, y.Str(t, "name"));
    HULL_ASSIGN_OR_RETURN(ot.default_sku, y.Str(t, "default_sku"));
    cat.os_types.push_back(std::move(ot));
  }
  return Ok();
}

Status ParseFeatures(const YamlReader& y, const YAML::Node& root, Catalog& cat) {
  YAML::Node n = root["features"];
  HULL_TRY(y.List(n, "features"));
  for (const auto& f : n) {
    HULL_TRY(y.Map(f, "feature", {"name", "embedded", "title"}, {"name"}));
    Feature feat;
    HULL_ASSIGN_OR_RETURN(feat.name, y.Str(f, "name"));
    HULL_ASSIGN_OR_RETURN(feat.title, y.Str(f, "title"));
    HULL_ASSIGN_OR_RETURN(feat.embedded, y.Bool(f, "embedded", false));
    if (std::none_of(std::begin(kFeatureNames), std::end(kFeatureNames),
                     [&](const char* k) { return feat.name == k; })) {
      return y.At(f["name"], fmt::format("unknown feature '{}'", feat.name));
    }
    cat.features.push_back(std::move(feat));
  }
  return Ok();
}

Result<OsVersion> ParseOsVersion(const YamlReader& y, const YAML::Node& v) {
  HULL_TRY(y.Map(v, "os version",
                 {"version", "stage", "end_of_support", "note", "default_for_kubernetes"},
                 {"version"}));
  OsVersion ov;
  HULL_ASSIGN_OR_RETURN(ov.version, y.Str(v, "version"));
  HULL_ASSIGN_OR_RETURN(ov.stage, StageAt(y, v));
  HULL_ASSIGN_OR_RETURN(ov.end_of_support, y.Str(v, "end_of_support"));
  HULL_ASSIGN_OR_RETURN(ov.note, y.Str(v, "note"));
  if (YAML::Node d = v["default_for_kubernetes"]) {
    KubernetesRange range;
    if (!d.IsNull()) {
      HULL_TRY(y.Map(d, "default_for_kubernetes", {"min", "below"}));
      if (d["min"]) {
        HULL_ASSIGN_OR_RETURN(range.min, KubeAt(y, d["min"], "min"));
      }
      if (d["below"]) {
        HULL_ASSIGN_OR_RETURN(range.below, KubeAt(y, d["below"], "below"));
      }
    }
    ov.default_for_kubernetes = range;
  }
  return ov;
}

Status ParseSkus(const YamlReader& y, const YAML::Node& root, Catalog& cat) {
  YAML::Node n = root["os_skus"];
  HULL_TRY(y.List(n, "os_skus"));
  for (const auto& s : n) {
    HULL_TRY(y.Map(s, "os sku",
                   {"name", "os_type", "title", "source", "note", "implies", "os_versions"},
                   {"name", "os_type", "os_versions"}));
    OsSku sku;
    HULL_ASSIGN_OR_RETURN(sku.name, y.Str(s, "name"));
    HULL_ASSIGN_OR_RETURN(sku.os_type, y.Str(s, "os_type"));
    HULL_ASSIGN_OR_RETURN(sku.title, y.Str(s, "title"));
    HULL_ASSIGN_OR_RETURN(sku.source, y.Str(s, "source"));
    HULL_ASSIGN_OR_RETURN(sku.note, y.Str(s, "note"));
    if (YAML::Node imp = s["implies"]) {
      if (!imp.IsMap()) return y.At(imp, "implies must be a map of feature: true");
      for (const auto& kv : imp) {
        HULL_ASSIGN_OR_RETURN(std::string f, y.Scalar(kv.first, "feature"));
        HULL_ASSIGN_OR_RETURN(std::string v, y.Scalar(kv.second, f));
        if (v != "true") return y.At(kv.second, "implies sets features to true");
        sku.implies[f] = v;
      }
    }
    HULL_TRY(y.List(s["os_versions"], "os_versions"));
    for (const auto& v : s["os_versions"]) {
      HULL_ASSIGN_OR_RETURN(OsVersion ov, ParseOsVersion(y, v));
      sku.os_versions.push_back(std::move(ov));
    }
    cat.os_skus.push_back(std::move(sku));
  }
  return Ok();
}

Status ParseImages(const YamlReader& y, const YAML::Node& root, Catalog& cat) {
  YAML::Node n = root["images"];
  HULL_TRY(y.List(n, "images"));
  for (const auto& i : n) {
    HULL_TRY(y.Map(i, "image",
                   {"id", "os_sku", "os_version", "arch", "generation", "confidential", "features",
                    "spec", "note", "versions"},
                   {"id", "os_sku", "os_version", "arch"}));
    Image img;
    HULL_ASSIGN_OR_RETURN(img.id, y.Str(i, "id"));
    HULL_ASSIGN_OR_RETURN(img.os_sku, y.Str(i, "os_sku"));
    HULL_ASSIGN_OR_RETURN(img.os_version, y.Str(i, "os_version"));
    HULL_ASSIGN_OR_RETURN(img.arch, y.Str(i, "arch"));
    if (img.arch != "amd64" && img.arch != "arm64") {
      return y.At(i["arch"], fmt::format("arch '{}' is not amd64 or arm64", img.arch));
    }
    HULL_ASSIGN_OR_RETURN(img.generation, y.Int(i, "generation", 2));
    if (img.generation != 1 && img.generation != 2) {
      return y.At(i["generation"], "generation must be 1 or 2");
    }
    HULL_ASSIGN_OR_RETURN(img.confidential, y.Bool(i, "confidential", false));
    HULL_ASSIGN_OR_RETURN(auto feats, y.StrList(i, "features"));
    img.features.insert(feats.begin(), feats.end());
    HULL_ASSIGN_OR_RETURN(img.spec, y.Str(i, "spec"));
    HULL_ASSIGN_OR_RETURN(img.note, y.Str(i, "note"));
    if (YAML::Node vs = i["versions"]) {
      HULL_TRY(y.List(vs, "versions"));
      for (const auto& v : vs) {
        HULL_ASSIGN_OR_RETURN(std::string s, y.Scalar(v, "version"));
        auto parsed = ParseImageVersion(s);
        if (!parsed.ok()) return y.At(v, parsed.error().message());
        img.versions.push_back(*parsed);
      }
    }
    cat.images.push_back(std::move(img));
  }
  return Ok();
}

Status ParseSizeFamily(const YamlReader& y, const YAML::Node& f, SizeFamily& fam) {
  HULL_TRY(y.Map(f, "size family",
                 {"series", "cpu", "arch", "generations", "trusted_launch", "confidential",
                  "gpu_vendor", "gpu_model", "source", "note"},
                 {"series", "generations", "source"}));
  HULL_ASSIGN_OR_RETURN(fam.series, y.StrList(f, "series"));
  HULL_ASSIGN_OR_RETURN(fam.cpu, y.Str(f, "cpu", "unknown"));
  HULL_ASSIGN_OR_RETURN(fam.arch, y.Str(f, "arch"));
  HULL_ASSIGN_OR_RETURN(auto gens, y.StrList(f, "generations"));
  for (const auto& g : gens) {
    if (g != "1" && g != "2") return y.At(f["generations"], "generations are 1 and/or 2");
    fam.generations.push_back(g[0] - '0');
  }
  HULL_ASSIGN_OR_RETURN(fam.trusted_launch, y.Str(f, "trusted_launch", "unknown"));
  if (fam.trusted_launch != "true" && fam.trusted_launch != "false" &&
      fam.trusted_launch != "unknown") {
    return y.At(f["trusted_launch"], "trusted_launch is true, false or unknown");
  }
  if (f["confidential"]) {
    HULL_ASSIGN_OR_RETURN(bool c, y.Bool(f, "confidential", false));
    fam.confidential = c;
  }
  HULL_ASSIGN_OR_RETURN(fam.gpu_vendor, y.Str(f, "gpu_vendor"));
  HULL_ASSIGN_OR_RETURN(fam.gpu_model, y.Str(f, "gpu_model"));
  HULL_ASSIGN_OR_RETURN(fam.source, y.Str(f, "source"));
  HULL_ASSIGN_OR_RETURN(fam.note, y.Str(f, "note"));
  if (fam.series.empty() || fam.generations.empty()) {
    return y.At(f, "a size family needs series and generations");
  }
  return Ok();
}

Status ParseVmSizes(const std::string& file, std::string_view text, Catalog& cat) {
  YamlReader y(file);
  HULL_ASSIGN_OR_RETURN(YAML::Node root, y.Load(text));
  HULL_TRY(y.Map(root, "vm size table", {"vm_sizes"}, {"vm_sizes"}));
  HULL_TRY(y.List(root["vm_sizes"], "vm_sizes"));
  for (const auto& f : root["vm_sizes"]) {
    SizeFamily fam;
    HULL_TRY(ParseSizeFamily(y, f, fam));
    cat.vm_sizes.push_back(std::move(fam));
  }
  return Ok();
}

// `sources: {S1: url}` lets rules and SKUs cite a page by its short name.
Status ExpandSources(const YamlReader& y, const YAML::Node& root, Catalog& cat) {
  YAML::Node n = root["sources"];
  if (!n) return Ok();
  if (!n.IsMap()) return y.At(n, "sources must be a map of name: url");
  std::map<std::string, std::string> sources;
  for (const auto& kv : n) {
    HULL_ASSIGN_OR_RETURN(std::string key, y.Scalar(kv.first, "source name"));
    HULL_ASSIGN_OR_RETURN(std::string url, y.Scalar(kv.second, key));
    if (!sources.emplace(key, url).second) return y.At(kv.first, "duplicate source " + key);
  }
  auto expand = [&](std::string& s) {
    auto it = sources.find(s);
    if (it != sources.end()) s = it->second;
  };
  for (auto& r : cat.rules) expand(r.source);
  for (auto& s : cat.os_skus) expand(s.source);
  expand(cat.upgrade_channels.source);
  expand(cat.container_runtimes.source);
  return Ok();
}

Status ParseRoot(const YamlReader& y, const YAML::Node& root, const FileReader& read,
                 Catalog& cat) {
  HULL_TRY(y.Map(
      root, "catalog",
      {"catalog", "title", "sources", "vm_sizes", "kubernetes", "os_types", "upgrade_channels",
       "container_runtimes", "features", "os_skus", "images", "rules", "conflicts", "migration"},
      {"catalog", "os_types", "upgrade_channels", "container_runtimes", "features", "os_skus",
       "images"}));
  HULL_ASSIGN_OR_RETURN(cat.name, y.Str(root, "catalog"));
  HULL_ASSIGN_OR_RETURN(cat.title, y.Str(root, "title"));
  cat.default_kubernetes = {1, 34, 0, false};
  if (YAML::Node k = root["kubernetes"]) {
    HULL_TRY(y.Map(k, "kubernetes", {"default", "note"}, {"default"}));
    HULL_ASSIGN_OR_RETURN(cat.default_kubernetes, KubeAt(y, k["default"], "default"));
  }
  HULL_TRY(ParseOsTypes(y, root, cat));
  HULL_TRY(ParseNamedValues(y, root, "upgrade_channels", cat.upgrade_channels));
  HULL_TRY(ParseNamedValues(y, root, "container_runtimes", cat.container_runtimes));
  HULL_TRY(ParseFeatures(y, root, cat));
  HULL_TRY(ParseSkus(y, root, cat));
  HULL_TRY(ParseImages(y, root, cat));
  HULL_TRY(ParseRules(y, root, cat));
  HULL_TRY(ExpandSources(y, root, cat));
  if (YAML::Node m = root["migration"]) {
    HULL_TRY(y.Map(m, "migration", {"allowed_os_types", "source"}, {"allowed_os_types"}));
    HULL_ASSIGN_OR_RETURN(cat.migration_os_types, y.StrList(m, "allowed_os_types"));
    HULL_ASSIGN_OR_RETURN(cat.migration_source, y.Str(m, "source"));
  }
  if (YAML::Node v = root["vm_sizes"]) {
    HULL_ASSIGN_OR_RETURN(std::string name, y.Scalar(v, "vm_sizes"));
    auto text = read(name);
    if (!text.ok()) {
      // Keeps the reader's code: a missing file is kNotFound, not a typo.
      return std::move(text).error().Wrap(y.Position(v.Mark()) + ": vm_sizes");
    }
    HULL_TRY(ParseVmSizes(name, *text, cat));
  }
  return Ok();
}

}  // namespace

Status ValidateCatalog(const YamlReader& y, const YAML::Node& root, const Catalog& cat);

Result<Catalog> ParseCatalog(const std::string& file, std::string_view text,
                             const FileReader& read) {
  YamlReader y(file);
  HULL_ASSIGN_OR_RETURN(YAML::Node root, y.Load(text));
  Catalog cat;
  cat.file = file;
  try {
    HULL_TRY(ParseRoot(y, root, read, cat));
    HULL_TRY(ValidateCatalog(y, root, cat));
  } catch (const YAML::Exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "{}:{}:{}: {}", file, e.mark.line + 1,
                  e.mark.column + 1, e.msg);
  }
  return cat;
}

}  // namespace hull::catalog
