// The node contract's parsers of untrusted text (src/node): os-release, the
// kernel command line, usrhash= and hull.roottemplate=, the update
// configuration, boot entry names and versions (ParseEntryName,
// CompareVersions, BootOrder; efivarfs BootOrder files, decoded or salvaged,
// and Boot#### names; what hull-init reads: LoaderDevicePartUUID,
// BootCurrent, a Boot####'s PCI path, sysfs device links), and
// device-mapper answers, and the build time
// file's Unix seconds (base/seconds.h). Any input must give a value or an
// error, never a crash; a normalized usrhash or template digest reads back as
// itself.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/seconds.h"
#include "node/boot_count.h"
#include "node/config.h"
#include "node/dm.h"
#include "node/kernel_cmdline.h"
#include "node/load_option.h"
#include "node/os_release.h"
#include "node/usrhash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::node;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseOsRelease(text);
  (void)SplitCmdline(text);
  (void)CmdlineValue(text, "usrhash");
  (void)UsrHashOfCmdline(text);
  (void)RootTemplateHashOfCmdline(text);
  if (auto h = ParseRootTemplateHash(text); h.ok() && *h != ParseRootTemplateHash(*h).value())
    __builtin_trap();
  if (auto h = ParseUsrHash(text); h.ok() && *h != ParseUsrHash(*h).value()) __builtin_trap();
  (void)ParseConfig(text, "fuzz.json");
  (void)hull::ParseUnixSeconds(text);
  (void)DmDevFromAnswer(hull::ByteSpan(data, size));
  // A BootOrder file read back from efivarfs decodes to what encodes it again.
  if (auto order = DecodeBootOrderFile(hull::ByteSpan(data, size));
      order.ok() && hull::ByteSpan(EncodeBootOrder(*order)).size() + 4 != size)
    __builtin_trap();
  // Salvaged from any file: at most kMaxBootOrderBytes of numbers.
  if (SalvageBootOrderFile(hull::ByteSpan(data, size)).size() > kMaxBootOrderBytes / 2)
    __builtin_trap();
  (void)BootOptionNumber(text);
  (void)ParseLoaderDevicePartUuid(hull::ByteSpan(data, size));
  (void)ParseBootCurrent(hull::ByteSpan(data, size));
  if (auto pci = ParseLoadOptionPciPath(hull::ByteSpan(data, size)); pci.ok())
    (void)PciPathString(*pci);
  (void)SysfsPciPath(text);
  std::string_view a = text.substr(0, text.size() / 2), b = text.substr(text.size() / 2);
  std::vector<EntryName> names;
  for (std::string_view s : {a, b}) {
    auto e = ParseEntryName(s);
    if (e.ok()) {
      (void)e->ToString();
      names.push_back(*e);
    }
  }
  (void)CompareVersions(a, b);
  (void)BootOrder(names);
  return 0;
}
