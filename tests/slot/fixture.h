// Test inputs for the slot tests, made with the real tools in seconds: a
// small erofs /usr (mkfs.erofs), its dm-verity tree and DPS signature
// partition (src/verity), a UKI on Debian's systemd-stub with Debian's
// kernel (src/uki), and a disk in the `hull build` layout (build::BuildLayout
// + disk::CreateDisk, which runs mkfs.vfat and mcopy for the ESP).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/file.h"
#include "crypto/key.h"
#include "slot/state.h"
#include "slot/update.h"
#include "tuf/client.h"

namespace hull::slot::testing {

struct Release {
  std::string version;
  std::string dir;        // payload directory (payload.json + four files)
  std::string root_hash;  // hex
};

class Inputs {
 public:
  // Makes everything under a fresh temp dir, in /dev/shm when it exists:
  // the fsyncs the installer does per operation cost nothing on tmpfs, and
  // the crash model, not the host's disk, decides what persists.
  static Result<std::unique_ptr<Inputs>> Create();

  // A payload directory for `version` with about `kib` KiB of file data. The
  // UKI carries Debian's kernel, or with real_kernel=false 64 KiB of random
  // bytes as .linux (the installer treats the UKI as opaque bytes plus
  // .cmdline/.osrel; the power-loss matrix copies it ~2000 times).
  // With `content` set, the file data comes from that seed instead of the
  // version, except lib/blob000 (and os-release): releases of one content
  // seed differ in a few files, as consecutive real releases do.
  // With arch "arm64" the UKI is on Debian's aarch64 systemd-stub (and its
  // .linux random bytes: the real kernel is amd64's).
  Result<Release> MakeRelease(const std::string& version, uint64_t kib, bool real_kernel = true,
                              const std::string& content = "", const std::string& arch = "amd64");
  // A disk with `r` in slot A, slot B "_empty", its UKI as hull_<v>+3.efi;
  // usr partitions of `usr_bytes` (verity partitions sized to match). With
  // arch "arm64": the DPS aarch64 types and BOOTAA64.EFI.
  Result<std::string> MakeDisk(const Release& r, const std::string& name,
                               uint64_t usr_bytes = 3 << 20, const std::string& arch = "amd64");

  // SYSEXT_LEVEL the next MakeRelease's os-release (its tree's and its UKI's
  // .osrel) declares; "" (the default): none, the bytes unchanged.
  std::string sysext_level;

  const std::string& dir() const { return dir_.path(); }
  const crypto::Certificate& verity_cert() const { return cert_; }
  std::string cert_path() const { return dir_.path() + "/verity.crt"; }

 private:
  Inputs(TempDir dir, crypto::PrivateKey key, crypto::Certificate cert)
      : dir_(std::move(dir)), key_(std::move(key)), cert_(std::move(cert)) {}
  TempDir dir_;
  crypto::PrivateKey key_;
  crypto::Certificate cert_;
};

// Copies a (sparse) disk image file.
Status CopyImage(const std::string& from, const std::string& to);

// A node about to update: a TUF client trusting `repo_dir`/1.root.json that
// fetches from `base` (the same directory, or a URL serving it), and the disk
// image `image` opened writable.
struct UpdatingNode {
  tuf::Client client;
  OpenedDisk opened;
  Result<ApplyResult> Apply(const ApplyFilters& filters = {}, const InstallOptions& install = {}) {
    return ApplyUpdate(client, *opened.disk, *opened.esp, filters, install);
  }
};
Result<UpdatingNode> OpenUpdatingNode(const std::string& repo_dir, const std::string& base,
                                      const std::string& image);

// A TUF repository of releases (tests/release): `inputs`.dir()/repo, its
// role keys made in `inputs`.dir()/keys, and `payload_dirs` published into
// it in order by src/release, each with deltas from the last `deltas`
// releases of its flavor and arch, at zstd level 3 (seconds, not minutes).
struct PublishedRepository {
  std::string dir, keydir;
};
Result<PublishedRepository> PublishRepository(const Inputs& inputs,
                                              const std::vector<std::string>& payload_dirs,
                                              unsigned deltas = 4);

// Debian's kernel and systemd-stub on this machine.
std::string KernelPath();
inline constexpr const char* kStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
inline constexpr const char* kBootEfi = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
inline constexpr const char* kStubArm64 = "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub";
inline constexpr const char* kBootEfiArm64 = "/usr/lib/systemd/boot/efi/systemd-bootaa64.efi";

}  // namespace hull::slot::testing
