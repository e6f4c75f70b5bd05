#include "build/products.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "build/artifacts.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"

#ifndef HULL_VERSION
#define HULL_VERSION "0.0.0"
#endif

namespace hull::build {
namespace fs = std::filesystem;

namespace {

// The first line a tool prints for its version; "absent" when it cannot run
// (the stage that needs it reports that).
std::string ToolVersion(std::vector<std::string> argv) {
  auto r = RunAllowFailure(Command{.argv = std::move(argv), .timeout = std::chrono::seconds(30)});
  if (!r.ok()) return "absent";
  std::string text = r->out.empty() ? r->err : r->out;
  return text.substr(0, text.find('\n'));
}

std::string List(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + ",";
  return out;
}

Error FsError(const std::error_code& ec, std::string_view what, const fs::path& p) {
  return Errorf(ErrorCode::kIo, "{} '{}': {}", what, p.string(), ec.message());
}

Status CopyInto(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return FsError(ec, "creating", to.parent_path());
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return FsError(ec, "copying " + from.string() + " to", to);
  return Ok();
}

}  // namespace

Result<std::string> ProductMaterial(const ProductInputs& in) {
  const spec::ImageSpec& s = *in.spec;
  std::string m = fmt::format(
      "name={}\nversion={}\nflavor={}\nselinux={}\nerofs={}\nmodules={}"
      "\nenable={}\n"
      "disable={}\ninsecure_dev_keys={}\nsource_date_epoch={}\nhull_version={}"
      "\n",
      s.name, s.version, spec::FlavorName(s.flavor), spec::SelinuxName(s.selinux),
      spec::CompressionName(s.erofs_compression), List(s.kernel.modules), List(s.services.enable),
      List(s.services.disable), s.signing_key_dir.empty(), in.source_date_epoch, HULL_VERSION);
  for (const auto& f : s.files) {
    fs::path src =
        fs::path(f.source).is_absolute() ? fs::path(f.source) : fs::path(in.spec_dir) / f.source;
    HULL_ASSIGN_OR_RETURN(std::string d, crypto::FileSha256Hex(src.string()).Context("spec file"));
    m += fmt::format("file={} {}\n", f.dest, d);
  }
  for (const auto& u : s.users)
    m += fmt::format("user={} {}\n", u.name, List(u.ssh_authorized_keys));
  for (const auto& [field, path] : {std::pair<const char*, std::string>{"hull", in.self_binary},
                                    {"hull_init", in.init_binary}}) {
    if (path.empty()) continue;
    HULL_ASSIGN_OR_RETURN(std::string d, crypto::FileSha256Hex(path).Context(field));
    m += fmt::format("{}={}\n", field, d);
  }
  m += "mkfs_erofs=" + ToolVersion({"mkfs.erofs", "--version"}) + "\n";
  m += "systemctl=" + ToolVersion({"systemctl", "--version"}) + "\n";
  m += "depmod=" + ToolVersion({"depmod", "--version"}) + "\n";
  return m;
}

std::string ProductKey(const std::string& compose_key, const std::string& material) {
  std::string text = "hull-products-v2\ncompose=" + compose_key + "\n" + material;
  return HexEncode(crypto::Sha256(AsBytes(text)));
}

std::string ProductDir(const std::string& cache_dir, const std::string& key) {
  return cache_dir + "/products/" + key;
}

bool ProductExists(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir + "/usr.erofs", ec)) return false;
  fs::last_write_time(dir, fs::file_time_type::clock::now(), ec);
  return true;
}

Status StoreProducts(const std::string& dir, const std::string& compose_dir,
                     const std::string& usr_image) {
  const fs::path final_dir(dir);
  std::error_code ec;
  fs::create_directories(final_dir.parent_path(), ec);
  if (ec) return FsError(ec, "creating", final_dir.parent_path());
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(final_dir.filename().string() + ".partial",
                                                     final_dir.parent_path().string()));
  const fs::path t(tmp.path());
  for (const char* f : {"image.json", "packages.json", "shape-report.json", "file_contexts",
                        "policy.file_contexts", "policy.file_contexts.subs_dist"}) {
    if (!fs::exists(compose_dir + "/" + f, ec)) continue;
    HULL_TRY(CopyInto(compose_dir + "/" + f, t / f));
  }
  fs::create_hard_link(usr_image, t / "usr.erofs", ec);
  if (ec) HULL_TRY(CopyInto(usr_image, t / "usr.erofs"));
  const std::string tree = compose_dir + "/tree";
  HULL_TRY(CopyInto(tree + "/usr/lib/os-release", t / "tree/usr/lib/os-release"));
  HULL_ASSIGN_OR_RETURN(KernelFiles k, FindKernel(tree));
  HULL_TRY(CopyInto(k.modules_dir, t / "tree/usr/lib/modules" / k.version));
  if (k.vmlinuz.rfind(k.modules_dir + "/", 0) != 0) {
    HULL_TRY(CopyInto(k.vmlinuz, t / "tree" / fs::relative(k.vmlinuz, tree, ec)));
  }
  fs::permissions(t, fs::perms(0755), ec);
  fs::rename(t, final_dir, ec);
  if (ec && !fs::exists(final_dir / "usr.erofs")) return FsError(ec, "renaming", t);
  if (!ec) tmp.Release();
  KeepMostRecent(final_dir.parent_path().string(), kKeptProducts);
  return Ok();
}

}  // namespace hull::build
