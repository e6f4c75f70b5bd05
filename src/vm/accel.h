// Choosing QEMU's accelerator. KVM is used only when it demonstrably works:
// /dev/kvm can exist on a machine whose (paravirtual) KVM aborts QEMU or
// hangs guests, so "auto" boots a 512-byte guest under KVM, with the host CPU
// model and two CPUs as a real boot uses, that writes to
// QEMU's isa-debug-exit port, and takes KVM only if that exit code comes back
// within 5 s (a working KVM needs well under one). TCG otherwise.
#pragma once

#include <string>

#include "base/result.h"
#include "vm/machine.h"

namespace hull::vm {

// "auto", "kvm" (an error if the probe fails) or "tcg".
Result<Accel> ResolveAccel(const std::string& requested);

// The probe's boot sector (pure): mov al,1; out 0xf4,al; hlt; 0x55aa.
std::string KvmProbeBootSector();

}  // namespace hull::vm
