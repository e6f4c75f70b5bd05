#include "spec/arch.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "spec/spec.h"

namespace hull::spec {
namespace {

// Debian packages whose Architecture field has no arm64 (x86 CPUs' microcode
// loaders, GRUB for BIOS).
constexpr std::array<std::string_view, 5> kAmd64OnlyPackages{
    "amd64-microcode", "grub-pc", "grub-pc-bin", "intel-microcode", "iucode-tool"};

// Linux modules built from arch/x86 (CPU-specific crypto, KVM) or whose
// Kconfig depends on X86 (VMware PVSCSI, Intel/AMD platform drivers), in the
// '_' spelling.
constexpr std::array<std::string_view, 30> kX86OnlyModules{"aegis128_aesni",
                                                           "aesni_intel",
                                                           "amd_pstate",
                                                           "blake2s_x86_64",
                                                           "blowfish_x86_64",
                                                           "camellia_aesni_avx2",
                                                           "camellia_aesni_avx_x86_64",
                                                           "camellia_x86_64",
                                                           "cast5_avx_x86_64",
                                                           "cast6_avx_x86_64",
                                                           "chacha_x86_64",
                                                           "crc32_pclmul",
                                                           "crc32c_intel",
                                                           "crct10dif_pclmul",
                                                           "curve25519_x86_64",
                                                           "des3_ede_x86_64",
                                                           "ghash_clmulni_intel",
                                                           "intel_rapl_msr",
                                                           "kvm_amd",
                                                           "kvm_intel",
                                                           "nhpoly1305_avx2",
                                                           "nhpoly1305_sse2",
                                                           "poly1305_x86_64",
                                                           "polyval_clmulni",
                                                           "serpent_sse2_x86_64",
                                                           "sha1_ssse3",
                                                           "sha256_ssse3",
                                                           "sha512_ssse3",
                                                           "twofish_x86_64",
                                                           "vmw_pvscsi"};

std::string Underscored(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

}  // namespace

Result<std::string_view> DefaultSpecTextFor(std::string_view arch) {
  if (arch == "amd64") return DefaultSpecText();
  if (arch == "arm64") return Arm64DefaultSpecText();
  return Errorf(ErrorCode::kInvalidArgument, "unknown arch '{}' (allowed: amd64, arm64)", arch);
}

std::vector<std::string> Amd64OnlyPackages(const std::vector<std::string>& packages) {
  std::vector<std::string> out;
  for (const auto& p : packages) {
    bool named = p.ends_with("-amd64") || p.find("-amd64-") != std::string::npos;
    if (named || std::find(kAmd64OnlyPackages.begin(), kAmd64OnlyPackages.end(), p) !=
                     kAmd64OnlyPackages.end()) {
      out.push_back(p);
    }
  }
  return out;
}

std::vector<std::string> Amd64OnlyModules(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const auto& p : patterns) {
    const bool path = p.find('/') != std::string::npos;
    const std::string name = Underscored(p);
    bool x86 = false;
    if (path) {
      x86 = p.starts_with("arch/x86/") || p.find("/arch/x86/") != std::string::npos;
    } else if (p.find_first_of("*?[") == std::string::npos) {
      x86 = name.ends_with("_x86_64") || std::find(kX86OnlyModules.begin(), kX86OnlyModules.end(),
                                                   name) != kX86OnlyModules.end();
    }
    if (x86) out.push_back(p);
  }
  return out;
}

}  // namespace hull::spec
