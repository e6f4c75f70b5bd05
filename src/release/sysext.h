// Publishing a system extension (docs/sysext.md "Publishing") into the same
// TUF repository as the OS releases: the image built by `hull sysext build`
// becomes one target
//   hull-sysext-<NAME>-<ARCH>-<VERSION>.raw
// whose custom metadata says what the node matches before it fetches it:
//   {"payload": "sysext", "sysext": NAME, "version": VERSION, "arch": ARCH,
//    "compatibility": {"id": ..., "sysext_level" | "version_id": ...},
//    "root_hash": <hex>}
// taken from the manifest NAME_VERSION_ARCH.json the build wrote beside the
// image, after checking that the image is the one the manifest describes
// (size and SHA-256).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tuf/repository.h"

namespace hull::release {

struct SysextPublishResult {
  std::string target;
  nlohmann::json custom;
};

// The target name and custom metadata of a manifest (pure). kInvalidArgument
// names the missing or malformed field.
Result<SysextPublishResult> SysextTarget(const nlohmann::json& manifest);

// `image` is NAME_VERSION_ARCH.raw with its .json beside it. Errors:
// kNotFound (no manifest), kInvalidArgument (malformed manifest),
// kVerifyFailed (the image is not the manifest's), kAlreadyExists (that
// extension version is already published), the repository's errors.
Result<SysextPublishResult> PublishSysext(const std::string& repo, const tuf::RoleKeySet& keys,
                                          const std::string& image, const tuf::Expiry& expiry = {});

}  // namespace hull::release
