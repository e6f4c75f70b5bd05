// The architectures an image spec builds for ("amd64", "arm64", Debian's
// names), the default spec of each, and what exists on amd64 only: packages
// and kernel modules an arm64 spec must not ask for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::spec {

// The default spec text of ARCH (specs/default.yaml for amd64,
// specs/immutable-arm64.yaml for arm64); kInvalidArgument names the allowed.
Result<std::string_view> DefaultSpecTextFor(std::string_view arch);

// The packages that exist for amd64 only: a name ending in "-amd64" or holding
// "-amd64-" (linux-image-cloud-amd64, grub-efi-amd64-signed), and the x86
// microcode and BIOS boot loader packages. In the order given.
std::vector<std::string> Amd64OnlyPackages(const std::vector<std::string>& packages);

// The module patterns that name an x86-only module: a name (no wildcard) of a
// module built from arch/x86 or whose Kconfig depends on X86 (aesni-intel,
// sha256-ssse3, vmw_pvscsi, ...; '-' and '_' alike), a name ending in
// "-x86_64", or a path under arch/x86/. In the order given.
std::vector<std::string> Amd64OnlyModules(const std::vector<std::string>& patterns);

}  // namespace hull::spec
