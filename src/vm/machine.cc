#include "vm/machine.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/file.h"

namespace hull::vm {
namespace {

using Clock = std::chrono::steady_clock;

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t c = p.find(':', pos);
    if (c == std::string::npos) c = p.size();
    if (access((p.substr(pos, c - pos) + "/" + program).c_str(), X_OK) == 0) return true;
    pos = c + 1;
  }
  return false;
}

// Forks `argv` with stdout and stderr to `log` (or /dev/null).
Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) return Errorf(ErrorCode::kIo, "fork: {}", std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    int fd = open(log.empty() ? "/dev/null" : log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    if (in >= 0) dup2(in, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// The complete console line holding byte `pos`.
std::string LineAt(const std::string& text, size_t pos) {
  size_t a = text.rfind('\n', pos);
  a = a == std::string::npos ? 0 : a + 1;
  size_t b = text.find('\n', pos);
  std::string line = text.substr(a, b == std::string::npos ? std::string::npos : b - a);
  while (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Whether a Unix socket at `path` accepts connections (a file that exists
// may not listen yet: bind comes before listen).
bool Accepts(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

Status WaitForSocket(const std::string& path, pid_t pid) {
  for (int i = 0; i < 600; ++i) {
    if (Accepts(path)) return {};
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      return Error(ErrorCode::kProcessFailed, "swtpm exited before listening on its socket");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Errorf(ErrorCode::kTimeout, "swtpm did not listen on '{}' within 30 s", path);
}

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kStopLine:
      return "stop-line";
    case Outcome::kRefused:
      return "refused-by-firmware";
    case Outcome::kExited:
      return "exited";
    case Outcome::kTimeout:
      return "timeout";
  }
  return "?";
}

namespace {

// QEMU's binary and the Debian packages holding it and the firmware.
struct Emulator {
  const char* binary;
  const char* packages;
};
Emulator EmulatorOf(GuestArch arch) {
  if (arch == GuestArch::kAarch64)
    return {"qemu-system-aarch64", "qemu-system-arm qemu-efi-aarch64"};
  return {"qemu-system-x86_64", "qemu-system-x86 ovmf"};
}

// The machine, CPU and firmware arguments of each architecture.
std::vector<std::string> MachineArgv(const MachineSpec& s) {
  const char* accel = s.accel == Accel::kKvm ? "kvm" : "tcg";
  std::vector<std::string> a = {EmulatorOf(s.arch).binary};
  if (s.arch == GuestArch::kAarch64) {
    // pauth-impdef: pointer authentication with QEMU's own cheap hash instead
    // of the architected QARMA, much slower under TCG (QEMU's
    // docs/system/arm/cpu-features); the guest cannot tell.
    a.insert(a.end(), {"-machine", fmt::format("virt,accel={}", accel), "-cpu",
                       s.accel == Accel::kKvm ? "host" : "max,pauth-impdef=on"});
  } else {
    a.insert(a.end(),
             {"-machine", fmt::format("q35,accel={}{}", accel, s.secure_boot ? ",smm=on" : ""),
              "-cpu", s.accel == Accel::kKvm ? "host" : "max"});
    if (s.secure_boot) {
      a.insert(a.end(), {"-global", "driver=cfi.pflash01,property=secure,value=on"});
    }
  }
  a.insert(a.end(), {"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + s.firmware_code,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + s.firmware_vars});
  return a;
}

}  // namespace

std::vector<std::string> QemuArgv(const MachineSpec& s) {
  std::vector<std::string> a = MachineArgv(s);
  a.insert(a.end(), {
                        "-m",
                        std::to_string(s.memory_mib),
                        "-smp",
                        std::to_string(s.cpus),
                        "-nodefaults",
                        "-display",
                        "none",
                        // Appended to: a machine restarted for a guest reboot keeps one log.
                        "-chardev",
                        "file,id=console,append=on,path=" + s.console_log,
                        "-serial",
                        "chardev:console",
                    });
  if (!s.http_boot_uri.empty()) {
    // romfile=: no iPXE option ROM, so OVMF's own network stack drives the NIC.
    a.insert(a.end(), {"-netdev", "user,id=net0,bootfile=" + s.http_boot_uri, "-device",
                       "virtio-net-pci,netdev=net0,romfile=,bootindex=0", "-fw_cfg",
                       "name=opt/org.tianocore/IPv4PXESupport,string=no", "-fw_cfg",
                       "name=opt/org.tianocore/IPv6PXESupport,string=no"});
  } else {
    a.insert(a.end(), {"-nic", s.user_network ? "user,model=virtio-net-pci" : "none"});
  }
  for (size_t i = 0; i < s.disks.size(); ++i) {
    const Disk& d = s.disks[i];
    std::string id = fmt::format("disk{}", i);
    a.insert(a.end(), {"-drive", fmt::format("if=none,id={},format={},file={}{}{}", id, d.format,
                                             d.path, d.read_only || d.cdrom ? ",readonly=on" : "",
                                             d.cdrom ? ",media=cdrom" : "")});
    // An optical drive on virtio-scsi: Debian's cloud kernel has no AHCI.
    if (d.cdrom) a.insert(a.end(), {"-device", fmt::format("virtio-scsi-pci,id=scsi{}", i)});
    std::string dev = d.cdrom ? fmt::format("scsi-cd,bus=scsi{}.0,drive={}", i, id)
                              : fmt::format("virtio-blk-pci,drive={}", id);
    if (!d.serial.empty()) dev += ",serial=" + d.serial;
    if (i == 0 && s.boot_index && s.http_boot_uri.empty()) {
      dev += ",bootindex=0";  // no PXE or shell fallback
    }
    a.insert(a.end(), {"-device", dev});
  }
  for (const std::string& oem : s.oem_strings) {
    std::string value;  // QEMU's option syntax: a comma in a value is doubled
    for (char c : oem) value += c == ',' ? std::string(",,") : std::string(1, c);
    a.insert(a.end(), {"-smbios", "type=11,value=" + value});
  }
  if (!s.tpm_socket.empty()) {
    // The TPM's memory-mapped interface: CRB on q35, TIS on virt (QEMU's
    // docs/specs/tpm: tpm-crb is x86-only there).
    a.insert(a.end(), {"-chardev", "socket,id=chrtpm,path=" + s.tpm_socket, "-tpmdev",
                       "emulator,id=tpm0,chardev=chrtpm", "-device",
                       s.arch == GuestArch::kAarch64 ? "tpm-tis-device,tpmdev=tpm0"
                                                     : "tpm-crb,tpmdev=tpm0"});
  }
  // A guest reboot ends the process: RunMachine starts a new one when
  // spec.reboot (see machine.h).
  a.push_back("-no-reboot");
  return a;
}

namespace {

// One boot's processes: swtpm (when the spec has a TPM) and QEMU.
struct Boot {
  pid_t swtpm = -1;
  pid_t qemu = -1;
  void StopAll() {
    Stop(qemu);
    Stop(swtpm);
    qemu = swtpm = -1;
  }
};

Result<Boot> StartBoot(const MachineSpec& spec, const RunOptions& o) {
  Boot b;
  if (!spec.tpm_socket.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.tpm_state_dir, ec);
    std::filesystem::remove(spec.tpm_socket, ec);  // a stale one would pass WaitForSocket
    // No --terminate: swtpm would wait forever if QEMU never connected; it
    // is ended by PID.
    HULL_ASSIGN_OR_RETURN(
        b.swtpm,
        Spawn({"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + o.tpm_state_dir, "--ctrl",
               "type=unixio,path=" + spec.tpm_socket, "--flags", "startup-clear"},
              o.tpm_state_dir + "/swtpm.log"));
    if (auto st = WaitForSocket(spec.tpm_socket, b.swtpm); !st.ok()) {
      b.StopAll();
      return st.error();
    }
  }
  auto qemu = Spawn(QemuArgv(spec), spec.console_log + ".qemu");
  if (!qemu.ok()) {
    b.StopAll();
    return qemu.error();
  }
  b.qemu = *qemu;
  return b;
}

// Scans the console's new whole lines for the end of the run.
class ConsoleWatch {
 public:
  explicit ConsoleWatch(const RunOptions& o) : o_(o) {}

  // Reads the log; true when a stop line (or a refusal) appeared.
  bool Poll(const std::string& log, RunResult& res) {
    auto text = ReadFileText(log, 256 << 20);
    if (text.ok()) res.console = std::move(*text);
    // Only whole lines are matched, from a little before the last scan.
    size_t end = res.console.rfind('\n');
    if (end == std::string::npos || end + 1 <= scanned_) return false;
    std::string_view window(res.console.data() + scanned_, end + 1 - scanned_);
    const size_t base = scanned_;
    scanned_ = end + 1;
    for (const auto& s : o_.stop_lines) {
      if (size_t p = window.find(s); p != std::string_view::npos) {
        res.outcome = Outcome::kStopLine;
        res.stop_line = LineAt(res.console, base + p);
        return true;
      }
    }
    if (o_.on_line) {
      for (size_t pos = 0; pos < window.size();) {
        size_t nl = window.find('\n', pos);
        std::string line(window.substr(pos, nl - pos));
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (o_.on_line(line)) {
          res.outcome = Outcome::kStopLine;
          res.stop_line = line;
          return true;
        }
      }
    }
    if (window.find("Access Denied") != std::string_view::npos) {
      res.outcome = Outcome::kRefused;
      res.stop_line = "Access Denied";
      return true;
    }
    return false;
  }

 private:
  const RunOptions& o_;
  size_t scanned_ = 0;
};

// Linux's last line when it powers the machine off; any other clean exit of
// QEMU under -no-reboot is a reset (the kernel's reboot, or the firmware's).
constexpr std::string_view kPowerDown = "reboot: Power down";

}  // namespace

Result<RunResult> RunMachine(const MachineSpec& spec, const RunOptions& o) {
  if (const Emulator e = EmulatorOf(spec.arch); !OnPath(e.binary)) {
    return Errorf(ErrorCode::kNotFound, "{} not found: apt-get install {}", e.binary, e.packages);
  }
  if (!spec.tpm_socket.empty() && !OnPath("swtpm")) {
    return Error(ErrorCode::kNotFound, "swtpm not found: apt-get install swtpm");
  }
  HULL_TRY(WriteFileAtomic(spec.console_log, std::string_view()));  // QEMU appends
  RunResult res;
  ConsoleWatch watch(o);
  const auto start = Clock::now();
  size_t boot_start = 0;  // where this boot's console begins
  HULL_ASSIGN_OR_RETURN(Boot boot, StartBoot(spec, o));
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (watch.Poll(spec.console_log, res)) break;
    int status = 0;
    if (waitpid(boot.qemu, &status, WNOHANG) == boot.qemu) {
      boot.qemu = -1;
      if (watch.Poll(spec.console_log, res)) break;
      res.qemu_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      const bool reset =
          res.qemu_status == 0 && res.console.find(kPowerDown, boot_start) == std::string::npos;
      if (!spec.reboot || !reset) {
        res.outcome = Outcome::kExited;
        break;
      }
      // The guest rebooted: the same machine (disks, firmware variables,
      // TPM state) starts again in new processes.
      boot.StopAll();
      ++res.reboots;
      boot_start = res.console.size();
      auto next = StartBoot(spec, o);
      if (!next.ok()) return next.error();
      boot = *next;
    }
    if (Clock::now() - start > o.timeout) {
      res.outcome = Outcome::kTimeout;
      break;
    }
  }
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  boot.StopAll();
  if (res.outcome == Outcome::kExited && res.qemu_status != 0) {
    auto err = ReadFileText(spec.console_log + ".qemu", 1 << 20);
    return Errorf(ErrorCode::kProcessFailed, "qemu exited with status {}: {}", res.qemu_status,
                  err.ok() ? Tail(*err, 5) : "");
  }
  return res;
}

std::string Tail(const std::string& c, size_t n) {
  size_t end = c.size();
  while (end > 0 && (c[end - 1] == '\n' || c[end - 1] == '\r')) --end;
  size_t pos = end;
  for (size_t i = 0; i < n; ++i) {
    size_t p = pos == 0 ? std::string::npos : c.rfind('\n', pos - 1);
    if (p == std::string::npos) return c.substr(0, end);
    pos = p;
  }
  return c.substr(pos + 1, end - pos - 1);
}

}  // namespace hull::vm
