// The small image spec the end-to-end tests build (customize_e2e_test,
// pkcs11_build_test, build_e2e_test): a Debian essential system with the
// cloud kernel and the modules a verity /usr boot needs, and little else, so
// a build stays short. Header-only (tests/ is on every test's include path).
#pragma once

#include <string>
#include <string_view>

namespace hull::test_support {

// The spec's YAML: `name`, `version` and the `outputs` list (e.g. "raw" or
// "raw, qcow2") vary; the rest is the same for every test.
inline std::string SmallImageSpec(std::string_view name, std::string_view version,
                                  std::string_view outputs) {
  return "name: " + std::string(name) + "\nversion: " + std::string(version) + R"(
distribution:
  variant: essential
packages: [linux-image-cloud-amd64]
kernel:
  cmdline: [console=ttyS0]
  modules: [dm-verity, dm-mod, erofs, ext4, overlay, virtio_blk, virtio_pci]
selinux: disabled
services: {enable: [], disable: []}
outputs: [)" +
         std::string(outputs) + "]\n";
}

}  // namespace hull::test_support
