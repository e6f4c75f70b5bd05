// The artifact stages of the pipeline (pipeline.h), one function each, all
// writing into the work dir. Internal to src/build; tested through the
// pipeline's end-to-end test and the unit tests of plan.h / initrd.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "spec/spec.h"
#include "verity/params.h"

namespace hull::build {

// The image's certificates and the signer every signature of the image goes
// through (crypto/signer.h: keys, or offline signing, signing/offline.h).
// Items: "usr-verity" (role verity), "uki" and "systemd-boot" (role db).
struct SigningKeys {
  crypto::Certificate db_cert, verity_cert;
  crypto::Signer* signer = nullptr;  // not owned
};
// Loads DIR/{db,verity}.crt; with `need_keys`, DIR/{db,verity}.key must be
// there too. kNotFound names the missing file.
Result<SigningKeys> LoadCertificates(const std::string& dir, bool need_keys);
// A signer over DIR/{db,verity}.key (files or PKCS#11 URIs, pkcs11/key_ref.h).
Result<crypto::KeySigner> LoadKeySigner(const std::string& dir);

struct SealResult {
  std::string verity_image, signature_image;
  Bytes root_hash;
  uint64_t verity_bytes = 0;
};
// Verity tree of `usr_image` into WORK/usr.verity (superblock, derived salt
// and UUID), its root hash signed with the verity key into
// WORK/usr.verity-sig (DPS JSON).
Result<SealResult> Seal(const spec::ImageSpec& spec, const std::string& usr_image,
                        const SigningKeys& keys, const std::string& work);
// The same with the tree's salt and superblock UUID given (hull customize
// keeps the base image's).
Result<SealResult> SealWith(const verity::VerityParams& params, const std::string& usr_image,
                            const SigningKeys& keys, const std::string& work);

struct KernelFiles {
  std::string version;  // "6.1.0-41-cloud-amd64"
  std::string vmlinuz;  // host path in the tree
  std::string modules_dir;
};
// The kernel of a composed tree: /usr/lib/modules/<ver>/vmlinuz or
// /boot/vmlinuz-<ver> for the (newest) <ver> under /usr/lib/modules.
// kNotFound when the tree has no kernel (add linux-image-* to packages).
Result<KernelFiles> FindKernel(const std::string& tree);

struct UkiResult {
  std::string path;
  std::string cmdline;
  std::vector<std::pair<std::string, std::string>> pcr11;  // phase -> hex
  uint64_t bytes = 0;
};
Result<UkiResult> MakeUki(const spec::ImageSpec& spec, const std::string& tree,
                          const KernelFiles& kernel, const std::string& initrd,
                          const std::string& root_hash_hex, const std::string& root_template_hex,
                          const std::string& stub, const SigningKeys& keys, const std::string& out);
// The tail MakeUki and hull customize share: `unsigned_uki` signed with db,
// PCR 11 predicted for each phase, written to `out`.
Result<UkiResult> SignUki(ByteSpan unsigned_uki, const std::string& cmdline,
                          const SigningKeys& keys, const std::string& out);

// WORK/esp: `boot_path` (EFI/BOOT/BOOTX64.EFI, BOOTAA64.EFI on arm64:
// systemd-boot signed with db), EFI/Linux/<uki name>, loader/loader.conf
// ("timeout 0"); mtimes = epoch. Returns the bytes of the files.
Result<uint64_t> MakeEspTree(const std::string& systemd_boot, const std::string& uki,
                             const std::string& uki_name, const SigningKeys& keys,
                             const std::string& dir, int64_t epoch,
                             std::string_view boot_path = "/EFI/BOOT/BOOTX64.EFI");

// The root ext4 image (mkfs.ext4 -d, E2FSPROGS_FAKE_TIME, derived UUID and
// hash seed) holding RootDirectories() and the /usr links; every inode's
// ctime set to `epoch` afterwards with debugfs (mkfs.ext4 -d copies the host's).
std::vector<std::string> MkfsExt4Argv(const std::string& image, const std::string& dir,
                                      const std::string& uuid);
// debugfs commands setting the ctime of "/" and every path under `dir` (sorted).
Result<std::string> CtimeScript(const std::string& dir, int64_t epoch);
// debugfs commands labelling "/" and every path under `dir` for SELinux, as
// the policy's file_contexts says (the /etc overlay directories as /etc).
Result<std::string> LabelScript(const std::string& dir, const std::string& policy_file_contexts);
// The /etc overlay's directory on the root filesystem (upper/ and work/ in it);
// hull-init mounts it over /etc.
inline constexpr const char* kEtcOverlayDir = "var/lib/hull/etc-overlay";
// Errors: kNotFound/kProcessFailed from mkfs.ext4 or debugfs; kIo. With a
// `policy_file_contexts`, every inode is labelled (LabelScript).
Status MakeRoot(const spec::ImageSpec& spec, uint64_t size, const std::string& work,
                const std::string& image, int64_t epoch, const std::string& policy_file_contexts);

}  // namespace hull::build
