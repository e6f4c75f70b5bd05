// `hull build`: an image spec in, a signed, verity-protected, reproducible
// disk image out (docs/build.md; DESIGN.md "Disk layout", "Chain of trust").
//
// Stages (kStageNames), each timed, each writing into a temp work dir next to
// --out: compose (cached) -> pack (erofs + SBOM) -> seal (verity tree with a
// derived salt/UUID, signed root hash, DPS signature JSON) -> initrd (newc +
// zstd: hull-init + modules) -> uki (systemd-stub, signed with db, PCR 11
// predicted) -> esp (signed systemd-boot, the UKI, loader.conf) -> root (ext4)
// -> disk (GPT per DESIGN.md, then each output format) -> record
// (manifest.json, SBOM). The outputs appear in --out only when every stage
// succeeded: the work dir's output folder is renamed onto --out (which must
// be absent or empty), so a failed build leaves --out as it was.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "signing/offline.h"
#include "spec/spec.h"

namespace hull::build {

inline constexpr const char* kSystemdBootEfi = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
inline constexpr const char* kSystemdStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";

struct BuildOptions {
  spec::ImageSpec spec;
  // The spec's text as given (the default spec's without one), recorded in
  // the image (node::kSpecRecord) and the manifest; empty: none recorded.
  std::string spec_text;
  std::string spec_dir;  // resolves relative `files` sources
  std::string out_dir;   // absent or empty
  // db.key/crt and verity.key/crt; empty: the spec's signing.key_dir, and when
  // that is empty too, insecure_dev_keys must be set.
  std::string key_dir;
  bool insecure_dev_keys = false;
  // --sign-offline DIR: stop after the last signing stage (esp) and write
  // what must be signed to DIR instead of any output; --inject-signatures
  // DIR: sign with DIR's signatures (signing/offline.h). Both need key_dir's
  // certificates, not its private keys.
  signing::OfflineOptions offline;
  std::string cache_dir;  // empty: no cache
  std::string init_binary;
  std::string agent_binary;        // hull-agent, installed into /usr with its units
  int64_t source_date_epoch = -1;  // <0: SOURCE_DATE_EPOCH, else the version's date
  // empty: the spec's architecture's (EfiFilesOf)
  std::string systemd_boot;
  std::string systemd_stub;
  // Called when a stage starts (seconds < 0) and ends (its seconds).
  std::function<void(const std::string& stage, double seconds)> on_stage;
};

// Where Hull's node binaries live in /usr (node_files.h lists every node file).
inline constexpr const char* kNodeLibexec = "/usr/libexec/hull";

struct BuildResult {
  std::string out_dir;
  std::vector<std::pair<std::string, double>> stage_seconds;
  nlohmann::json manifest;
  std::map<std::string, std::string> outputs;  // file name -> SHA-256 hex
  std::string sign_offline_dir;                // set when the build recorded, and made no outputs
};

// Errors: kInvalidArgument for a non-empty --out or bad sizes; kRefused
// "no signing keys: pass --keys DIR (made by 'hull keys init DIR') or
// --insecure-dev-keys" ; kNotFound for a missing key, hull-init, kernel,
// systemd-boot or tool (naming the package); each stage's errors with the
// stage name as context.
Result<BuildResult> Build(const BuildOptions& options);

// "hull-init" next to the running executable (/proc/self/exe); for an arm64
// image the cross-built one in the subdirectory arm64/ beside it
// (cmake/NodeArm64.cmake).
std::string DefaultInitPath(std::string_view arch = "amd64");
// hull-agent next to the running hull, the same way.
std::string DefaultAgentPath(std::string_view arch = "amd64");
// $XDG_CACHE_HOME/hull when set, else /var/cache/hull.
std::string DefaultCacheDir();

// The one-screen summary of a finished build.
std::string Summary(const BuildResult& result);

}  // namespace hull::build
