// hull spec check|show-default
#include <cstdio>
#include <memory>

#include "cli.h"
#include "spec/arch.h"
#include "spec/spec.h"

namespace hull::cli {
namespace {

struct SpecArgs {
  std::string file;
  std::string arch = "amd64";
  bool json = false;
};

nlohmann::json SpecJson(const spec::ImageSpec& s) {
  nlohmann::json files = nlohmann::json::array(), users = nlohmann::json::array(),
                 outputs = nlohmann::json::array();
  for (const auto& f : s.files) files.push_back({{"source", f.source}, {"dest", f.dest}});
  for (const auto& u : s.users) {
    users.push_back({{"name", u.name}, {"ssh_authorized_keys", u.ssh_authorized_keys}});
  }
  for (auto o : s.outputs) outputs.push_back(spec::OutputName(o));
  return {{"name", s.name},
          {"flavor", spec::FlavorName(s.flavor)},
          {"version", s.version},
          {"arch", s.arch},
          {"distribution",
           {{"suite", s.distribution.suite},
            {"mirror", s.distribution.mirror},
            {"components", s.distribution.components},
            {"variant", s.distribution.variant}}},
          {"packages", s.packages},
          {"kernel", {{"cmdline", s.kernel.cmdline}, {"modules", s.kernel.modules}}},
          {"selinux", spec::SelinuxName(s.selinux)},
          {"files", files},
          {"services", {{"enable", s.services.enable}, {"disable", s.services.disable}}},
          {"users", users},
          {"partitions",
           {{"esp", s.partitions.esp}, {"usr", s.partitions.usr}, {"root", s.partitions.root}}},
          {"outputs", outputs},
          {"erofs", {{"compression", spec::CompressionName(s.erofs_compression)}}},
          {"signing", {{"key_dir", s.signing_key_dir}}}};
}

int RunCheck(const SpecArgs& a) {
  auto s = spec::LoadSpec(a.file, spec::BuildTime());
  if (!s.ok()) return ReportError(s.error());
  if (a.json) {
    PrintJson(SpecJson(*s));
  } else {
    std::printf("%s: ok (%s %s, %zu packages, %zu module patterns)\n", a.file.c_str(),
                s->name.c_str(), s->version.c_str(), s->packages.size(), s->kernel.modules.size());
  }
  return kExitOk;
}

}  // namespace

void RegisterSpec(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SpecArgs>();
  auto* spec = app.add_subcommand("spec", "Image specs: check a spec file, print the default");
  spec->require_subcommand(1);

  auto* check = spec->add_subcommand("check", "Parse and validate FILE strictly");
  check->add_option("FILE", a->file, "Image spec (YAML)")->required();
  check->add_flag("--json", a->json, "Print the spec with every default filled in, as JSON");
  check->footer(
      "Unknown keys, wrong types and bad values are reported as FILE:LINE:COL with what\n"
      "is allowed; exit status 2 when the spec is invalid. Fields: docs/spec.md.\n"
      "Example: hull spec show-default > node.yaml && hull spec check node.yaml");
  check->callback([&ctx, a] { ctx.action = [a] { return RunCheck(*a); }; });

  auto* show = spec->add_subcommand(
      "show-default",
      "Print the default spec (specs/default.yaml; arm64: specs/immutable-arm64.yaml)");
  show->add_option("--arch", a->arch, "amd64 (default) or arm64");
  show->footer("Example: hull spec show-default --arch arm64 > node.yaml");
  show->callback([&ctx, a] {
    ctx.action = [a] {
      auto text = spec::DefaultSpecTextFor(a->arch);
      if (!text.ok()) return ReportError(std::move(text).Context("--arch").error());
      std::fwrite(text->data(), 1, text->size(), stdout);
      return kExitOk;
    };
  });
}

}  // namespace hull::cli
