#include "vm/accel.h"

#include <unistd.h>

#include <chrono>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull::vm {
namespace {

// True when a KVM guest ran the probe sector and exited through the port.
bool KvmWorks() {
  if (access("/dev/kvm", R_OK | W_OK) != 0) return false;
  auto dir = TempDir::Create("hull-kvm-probe");
  if (!dir.ok()) return false;
  std::string disk = dir->path() + "/probe.img";
  if (!WriteFileAtomic(disk, KvmProbeBootSector()).ok()) return false;
  auto r =
      RunAllowFailure(Command{// The CPU model and count a KVM boot uses: a paravirtual KVM that
                              // cannot set the host CPU's MSRs aborts QEMU here instead of later.
                              .argv = {"qemu-system-x86_64", "-machine", "pc,accel=kvm", "-cpu",
                                       "host", "-smp", "2", "-m", "64", "-nodefaults", "-display",
                                       "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                                       "-drive", "if=floppy,format=raw,file=" + disk},
                              .timeout = std::chrono::seconds(5)});
  // isa-debug-exit exits QEMU with (value << 1) | 1 = 3.
  return r.ok() && r->exit_code == 3;
}

}  // namespace

std::string KvmProbeBootSector() {
  std::string s(512, '\0');
  const unsigned char code[] = {0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};  // ... hlt; jmp $-1
  for (size_t i = 0; i < sizeof code; ++i) s[i] = char(code[i]);
  s[510] = char(0x55);
  s[511] = char(0xaa);
  return s;
}

Result<Accel> ResolveAccel(const std::string& requested) {
  if (requested == "tcg") return Accel::kTcg;
  if (requested == "kvm") {
    if (KvmWorks()) return Accel::kKvm;
    return Error(ErrorCode::kUnavailable,
                 "KVM does not work here (/dev/kvm missing, or a probe guest failed under it): "
                 "use --accel tcg or auto");
  }
  if (requested == "auto" || requested.empty()) return KvmWorks() ? Accel::kKvm : Accel::kTcg;
  return Errorf(ErrorCode::kInvalidArgument, "--accel '{}': expected kvm, tcg or auto", requested);
}

}  // namespace hull::vm
