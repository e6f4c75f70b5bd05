// hull catalog resolve|list|versions|migrate|validate
#include <algorithm>
#include <cstdio>

#include "base/file.h"
#include "catalog/engine.h"
#include "cli.h"

namespace hull::cli {
namespace {

// A refused request exits as a policy refusal does everywhere (base/exit_code.h).
const int kExitRefused = ExitCodeFor(ErrorCode::kRefused);

struct CatalogArgs {
  std::string catalog = "aks";
  catalog::Request req;
  std::string policy = "refuse-eol";
  bool fips = false, trusted_launch = false, pod_sandboxing = false, artifact_streaming = false,
       gpu = false, os_guard = false;
  std::string to_sku, image, pools;
  bool json = false;
};

void AddPoolOptions(CLI::App* c, CatalogArgs& a, bool with_sku) {
  if (with_sku) {
    c->add_option("--os-type", a.req.os_type, "Linux (default) or Windows");
    c->add_option("--os-sku", a.req.os_sku,
                  "Ubuntu, AzureLinux, AzureContainerLinux, Windows2019, Windows2022, "
                  "WindowsAnnual (hull: HullImmutable, HullStandard)");
    c->add_option("--os-version", a.req.os_version, "OS version (default: the SKU's default)");
  }
  c->add_option("--vm-size", a.req.vm_size, "Azure VM size, e.g. Standard_D4s_v5")->required();
  c->add_option("--kubernetes-version", a.req.kubernetes_version, "e.g. 1.34 or 1.34.0");
  c->add_flag("--enable-fips", a.fips, "FIPS-enabled OS");
  c->add_flag("--trusted-launch", a.trusted_launch, "Trusted Launch (Secure Boot and vTPM)");
  c->add_flag("--pod-sandboxing", a.pod_sandboxing, "Pod Sandboxing (Kata)");
  c->add_flag("--artifact-streaming", a.artifact_streaming, "Artifact Streaming");
  c->add_flag("--gpu", a.gpu, "GPU drivers");
  c->add_flag("--os-guard", a.os_guard, "OS Guard features");
  c->add_option("--upgrade-channel", a.req.upgrade_channel,
                "Node OS upgrade channel: NodeImage (default), None, Unmanaged, SecurityPatch");
  c->add_option("--container-runtime", a.req.container_runtime, "containerd (default)");
  c->add_option("--lifecycle-policy", a.policy,
                "Non-GA OS versions: warn, refuse-eol (default), strict");
  c->add_flag("--json", a.json, "Print the result as JSON");
}

void AddCatalogOption(CLI::App* c, CatalogArgs& a) {
  c->add_option("--catalog", a.catalog, "aks (default), hull, or a catalog YAML file");
}

Result<catalog::Request> BuildRequest(const CatalogArgs& a) {
  catalog::Request r = a.req;
  HULL_ASSIGN_OR_RETURN(r.policy, catalog::ParseLifecyclePolicy(a.policy));
  const std::pair<bool, const char*> flags[] = {{a.fips, "fips"},
                                                {a.trusted_launch, "trusted_launch"},
                                                {a.pod_sandboxing, "pod_sandboxing"},
                                                {a.artifact_streaming, "artifact_streaming"},
                                                {a.gpu, "gpu"},
                                                {a.os_guard, "os_guard"}};
  for (const auto& [on, name] : flags) {
    if (on) r.features.insert(name);
  }
  return r;
}

nlohmann::json ViolationsJson(const std::vector<catalog::Violation>& vs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : vs) {
    out.push_back({{"rule", v.rule}, {"message", v.message}, {"fix", v.fix}, {"source", v.source}});
  }
  return out;
}

nlohmann::json DecisionJson(const catalog::Decision& d) {
  nlohmann::json j{{"accepted", d.ok()},
                   {"why", d.why},
                   {"warnings", d.warnings},
                   {"violations", ViolationsJson(d.violations)},
                   {"facts", d.facts}};
  if (d.sku) j["os_sku"] = d.sku->name;
  if (d.os_version) {
    j["os_version"] = d.os_version->version;
    j["lifecycle"] = catalog::StageName(d.os_version->stage);
  }
  if (d.ok()) {
    const auto& img = *d.image;
    j["image"] = d.image_name;
    j["image_id"] = img.id;
    j["version"] = d.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.version);
    j["variant"] = {{"arch", img.arch},
                    {"generation", img.generation},
                    {"confidential", img.confidential},
                    {"features", img.features}};
    if (!img.spec.empty()) j["spec"] = img.spec;
  }
  return j;
}

std::string VariantText(const catalog::Image& img) {
  std::string feats;
  if (img.confidential) feats = "confidential";
  for (const auto& f : img.features) feats += (feats.empty() ? "" : "+") + f;
  return fmt::format("{}, Gen{}, {}", img.arch, img.generation, feats.empty() ? "-" : feats);
}

void PrintViolations(const std::vector<catalog::Violation>& vs, const std::string& what = "") {
  std::fprintf(stderr, "hull: %srefused: %zu rule%s violated\n", what.c_str(), vs.size(),
               vs.size() == 1 ? "" : "s");
  for (const auto& v : vs) {
    std::fprintf(stderr, "  [%s] %s\n    fix: %s\n", v.rule.c_str(), v.message.c_str(),
                 v.fix.c_str());
    if (!v.source.empty()) std::fprintf(stderr, "    source: %s\n", v.source.c_str());
  }
}

void PrintDecision(const catalog::Decision& d) {
  std::printf("image:   %s\n", d.image_name.c_str());
  std::printf("variant: %s\n", VariantText(*d.image).c_str());
  std::printf("os:      %s %s (%s)\n", d.sku->name.c_str(), d.os_version->version.c_str(),
              catalog::StageName(d.os_version->stage));
  if (!d.image->spec.empty()) std::printf("spec:    %s\n", d.image->spec.c_str());
  std::printf("why:\n");
  for (const auto& w : d.why) std::printf("  - %s\n", w.c_str());
  for (const auto& w : d.warnings) std::fprintf(stderr, "hull: warning: %s\n", w.c_str());
}

int RunResolve(const CatalogArgs& a) {
  auto cat = catalog::LoadCatalog(a.catalog);
  if (!cat.ok()) return ReportError(cat.error());
  auto req = BuildRequest(a);
  if (!req.ok()) return ReportError(req.error());
  auto d = catalog::Resolve(*cat, *req);
  if (!d.ok()) return ReportError(d.error());
  if (a.json) {
    PrintJson(DecisionJson(*d));
  } else if (d->ok()) {
    PrintDecision(*d);
  }
  if (d->ok()) return kExitOk;
  if (!a.json) PrintViolations(d->violations);
  return kExitRefused;
}

int RunList(const CatalogArgs& a) {
  auto cat = catalog::LoadCatalog(a.catalog);
  if (!cat.ok()) return ReportError(cat.error());
  std::string sku;
  if (!a.req.os_sku.empty()) {
    std::vector<std::string> names;
    for (const auto& s : cat->os_skus) names.push_back(s.name);
    auto c = catalog::Canonical("OS SKU", a.req.os_sku, names);
    if (!c.ok()) return ReportError(c.error());
    sku = *c;
  }
  nlohmann::json out = nlohmann::json::array();
  if (!a.json)
    std::printf("%-34s %-20s %-8s %-9s %-40s %s\n", "IMAGE", "OS SKU", "VERSION", "STAGE",
                "VARIANT", "LATEST");
  for (const auto& img : cat->images) {
    if (!sku.empty() && img.os_sku != sku) continue;
    const catalog::OsSku* s = cat->FindSku(img.os_sku);
    catalog::Stage stage = catalog::Stage::kGa;
    for (const auto& v : s->os_versions) {
      if (v.version == img.os_version) stage = v.stage;
    }
    auto latest = catalog::LatestVersion(img.versions);
    std::string latest_text = latest.ok() ? latest->ToString() : "-";
    if (a.json) {
      out.push_back(
          {{"image", img.id},
           {"os_sku", img.os_sku},
           {"os_version", img.os_version},
           {"lifecycle", catalog::StageName(stage)},
           {"arch", img.arch},
           {"generation", img.generation},
           {"confidential", img.confidential},
           {"features", img.features},
           {"latest", latest.ok() ? nlohmann::json(latest_text) : nlohmann::json(nullptr)},
           {"spec", img.spec}});
    } else {
      std::printf("%-34s %-20s %-8s %-9s %-40s %s\n", img.id.c_str(), img.os_sku.c_str(),
                  img.os_version.c_str(), catalog::StageName(stage), VariantText(img).c_str(),
                  latest_text.c_str());
    }
  }
  if (a.json) PrintJson(out);
  return kExitOk;
}

int RunVersions(const CatalogArgs& a) {
  auto cat = catalog::LoadCatalog(a.catalog);
  if (!cat.ok()) return ReportError(cat.error());
  std::vector<std::string> ids;
  for (const auto& img : cat->images) ids.push_back(img.id);
  auto id = catalog::Canonical("image", a.image, ids);
  if (!id.ok()) return ReportError(id.error());
  const catalog::Image* img = nullptr;
  for (const auto& i : cat->images) {
    if (i.id == *id) img = &i;
  }
  std::vector<catalog::ImageVersion> sorted = img->versions;
  std::sort(sorted.rbegin(), sorted.rend());
  if (a.json) {
    nlohmann::json vs = nlohmann::json::array();
    for (const auto& v : sorted) vs.push_back(v.ToString());
    PrintJson({{"image", img->id},
               {"versions", vs},
               {"latest",
                sorted.empty() ? nlohmann::json(nullptr) : nlohmann::json(sorted[0].ToString())}});
    return kExitOk;
  }
  if (sorted.empty()) std::printf("%s: no node image versions listed\n", img->id.c_str());
  for (size_t i = 0; i < sorted.size(); ++i) {
    std::printf("%s-%s%s\n", img->id.c_str(), sorted[i].ToString().c_str(),
                i == 0 ? "  (latest)" : "");
  }
  return kExitOk;
}

int RunMigrate(const CatalogArgs& a) {
  auto cat = catalog::LoadCatalog(a.catalog);
  if (!cat.ok()) return ReportError(cat.error());
  auto req = BuildRequest(a);
  if (!req.ok()) return ReportError(req.error());
  auto plan = catalog::PlanMigration(*cat, *req, a.to_sku);
  if (!plan.ok()) return ReportError(plan.error());
  if (a.json) {
    nlohmann::json j{
        {"accepted", plan->ok()},       {"from", DecisionJson(plan->from)},
        {"to", DecisionJson(plan->to)}, {"violations", ViolationsJson(plan->violations)},
        {"steps", plan->steps},         {"rollback", plan->rollback}};
    PrintJson(j);
    return plan->ok() ? kExitOk : kExitRefused;
  }
  if (!plan->ok()) {
    PrintViolations(plan->violations);
    return kExitRefused;
  }
  std::printf("migrate %s -> %s\n", plan->from.sku->name.c_str(), plan->to.sku->name.c_str());
  std::printf("from:    %s\n",
              plan->from.ok() ? plan->from.image_name.c_str() : "(refused by the catalog)");
  std::printf("to:      %s\n", plan->to.image_name.c_str());
  std::printf("steps:\n");
  for (size_t i = 0; i < plan->steps.size(); ++i)
    std::printf("  %zu. %s\n", i + 1, plan->steps[i].c_str());
  std::printf("rollback:\n");
  for (size_t i = 0; i < plan->rollback.size(); ++i)
    std::printf("  %zu. %s\n", i + 1, plan->rollback[i].c_str());
  for (const auto& w : plan->to.warnings) std::fprintf(stderr, "hull: warning: %s\n", w.c_str());
  return kExitOk;
}

// Prints the pools like `az aks nodepool list -o table`, then the refusals.
int RunValidate(const CatalogArgs& a) {
  auto text = ReadFileText(a.pools, catalog::kMaxCatalogBytes);
  if (!text.ok()) return ReportError(text.error());
  auto spec = catalog::ParseClusterSpec(a.pools, *text);
  if (!spec.ok()) return ReportError(spec.error());
  auto cat = catalog::LoadCatalog(a.catalog != "aks" ? a.catalog : spec->catalog);
  if (!cat.ok()) return ReportError(cat.error());
  auto results = catalog::ValidateCluster(*cat, *spec);
  if (!results.ok()) return ReportError(results.error());
  bool all_ok = std::all_of(results->begin(), results->end(),
                            [](const catalog::PoolResult& r) { return r.decision.ok(); });
  if (a.json) {
    nlohmann::json pools = nlohmann::json::array();
    for (const auto& r : *results) {
      nlohmann::json j = DecisionJson(r.decision);
      j["name"] = r.name;
      pools.push_back(j);
    }
    PrintJson({{"accepted", all_ok}, {"pools", pools}});
    return all_ok ? kExitOk : kExitRefused;
  }
  std::printf("%-12s %-8s %-20s %-24s %s\n", "Name", "OsType", "OsSku", "VmSize",
              "NodeImageVersion");
  std::printf("%-12s %-8s %-20s %-24s %s\n", "------------", "--------", "--------------------",
              "------------------------", "----------------------------------");
  for (const auto& r : *results) {
    if (!r.decision.ok()) continue;
    const auto& f = r.decision.facts;
    std::printf("%-12s %-8s %-20s %-24s %s\n", r.name.c_str(), f.at("os_type").c_str(),
                f.at("os_sku").c_str(), f.at("vm_size").c_str(), r.decision.image_name.c_str());
  }
  for (const auto& r : *results) {
    if (r.decision.ok()) continue;
    PrintViolations(r.decision.violations, "pool " + r.name + ": ");
  }
  return all_ok ? kExitOk : kExitRefused;
}

}  // namespace

void RegisterCatalog(CLI::App& app, Context& ctx) {
  auto* cat =
      app.add_subcommand("catalog", "Node-image catalog: default images, rules, migrations");
  cat->require_subcommand(1);
  auto a = std::make_shared<CatalogArgs>();

  auto* res =
      cat->add_subcommand("resolve", "Pick the default node image for a node pool, or refuse");
  AddCatalogOption(res, *a);
  AddPoolOptions(res, *a, true);
  res->add_flag("--first-pool", a->req.first_pool, "The pool is the cluster's first pool");
  res->footer(
      "Example: hull catalog resolve --os-sku AzureContainerLinux --vm-size Standard_D4s_v5 \\\n"
      "           --kubernetes-version 1.34\n"
      "Prints the image name (<id>-<version> when versions are listed), its variant and the\n"
      "rules that chose it. Exit status: 0 accepted, 1 refused (every violated rule is listed),\n"
      "2 bad input (unknown values list the known ones).");
  res->callback([&ctx, a] { ctx.action = [a] { return RunResolve(*a); }; });

  auto* list = cat->add_subcommand("list", "List the catalog's images and variants");
  AddCatalogOption(list, *a);
  list->add_option("--os-sku", a->req.os_sku, "Only this OS SKU");
  list->add_flag("--json", a->json, "Print as JSON");
  list->footer("Example: hull catalog list --os-sku AzureLinux");
  list->callback([&ctx, a] { ctx.action = [a] { return RunList(*a); }; });

  auto* ver =
      cat->add_subcommand("versions", "List the node image versions of IMAGE, newest first");
  AddCatalogOption(ver, *a);
  ver->add_option("IMAGE", a->image, "Image id, e.g. AKSAzureContainerLinux")->required();
  ver->add_flag("--json", a->json, "Print as JSON");
  ver->footer("Example: hull catalog versions AKSAzureContainerLinux");
  ver->callback([&ctx, a] { ctx.action = [a] { return RunVersions(*a); }; });

  auto* mig = cat->add_subcommand("migrate", "Plan an in-place OS SKU migration of a Linux pool");
  AddCatalogOption(mig, *a);
  mig->add_option("--from-sku", a->req.os_sku, "Current OS SKU")->required();
  mig->add_option("--to-sku", a->to_sku, "Target OS SKU")->required();
  AddPoolOptions(mig, *a, false);
  mig->footer(
      "Example: hull catalog migrate --from-sku Ubuntu --to-sku AzureContainerLinux \\\n"
      "           --vm-size Standard_D4s_v5 --kubernetes-version 1.34\n"
      "The target is checked with the pool's size, features and channel; the plan names the\n"
      "rollback. Migrating to or from Windows is refused.\n"
      "Exit status: 0 planned, 1 refused, 2 bad input.");
  mig->callback([&ctx, a] { ctx.action = [a] { return RunMigrate(*a); }; });

  auto* val =
      cat->add_subcommand("validate", "Check a cluster definition (node pools) against every rule");
  AddCatalogOption(val, *a);
  val->add_option("POOLS", a->pools, "Cluster YAML: pools: [{name, osType, osSKU, vmSize, ...}]")
      ->required();
  val->add_flag("--json", a->json, "Print as JSON");
  val->footer(
      "Example: hull catalog validate cluster.yaml\n"
      "The first pool is the cluster's first pool (it must be Linux). Prints a table like\n"
      "'az aks nodepool list' for the valid pools.\n"
      "Exit status: 0 all valid, 1 a pool refused, 2 bad input.");
  val->callback([&ctx, a] { ctx.action = [a] { return RunValidate(*a); }; });
}

}  // namespace hull::cli
