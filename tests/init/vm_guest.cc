// The guest side of init_vm_test, installed as /usr/lib/systemd/systemd in a
// test /usr image: checks what hull-init promised, prints one marker line
// for the host, reads a data file end to end, and powers off.
//   HULL-INIT-OK usr=<source> <fstype> <options> etc=<fstype> write=<errno name>
//   HULL-INIT-BAD <what failed>
//   HULL-PCR11 <hex>   (with a TPM)
//   HULL-READ data.bin: ok <bytes> | EIO | error <errno>
// With `hull.test_hang` on the kernel command line it prints HULL-HANG after
// the first line and hangs instead (a PID 1 that never takes the watchdog
// over).
#include <fcntl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct MountLine {
  std::string source, fstype, options;
  bool found = false;
};

// /proc/self/mounts: "<source> <target> <fstype> <options> 0 0"; the last
// entry for a target is the one visible.
MountLine FindMount(const char* target) {
  MountLine m;
  FILE* f = fopen("/proc/self/mounts", "r");
  if (!f) return m;
  char src[512], tgt[512], type[64], opts[1024];
  while (fscanf(f, "%511s %511s %63s %1023s %*d %*d", src, tgt, type, opts) == 4)
    if (std::strcmp(tgt, target) == 0) m = {src, type, opts, true};
  fclose(f);
  return m;
}

std::string ReadCheck(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return std::string("error ") + std::strerror(errno);
  char buf[65536];
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      int e = errno;
      close(fd);
      return e == EIO ? "EIO" : std::string("error ") + std::strerror(e);
    }
    if (n == 0) break;
    total += n;
  }
  close(fd);
  return "ok " + std::to_string(total);
}

std::string Check() {
  MountLine usr = FindMount("/usr"), etc = FindMount("/etc"), root = FindMount("/");
  if (!usr.found) return "BAD /usr not mounted";
  if (usr.source != "/dev/mapper/usr" || usr.fstype != "erofs")
    return "BAD /usr is " + usr.source + " " + usr.fstype;
  if (usr.options.rfind("ro", 0) != 0) return "BAD /usr options " + usr.options;
  if (!etc.found || etc.fstype != "overlay") return "BAD /etc is not an overlay";
  if (!root.found || root.fstype != "ext4" || root.options.rfind("rw", 0) != 0)
    return "BAD / is not ext4 rw";
  struct stat st;
  if (stat("/dev/mapper/usr", &st) != 0 || !S_ISBLK(st.st_mode)) return "BAD no /dev/mapper/usr";
  int fd = open("/usr/hull-write-test", O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) return "BAD wrote to /usr";
  std::string write_err = errno == EROFS ? "EROFS" : std::strerror(errno);
  if (errno != EROFS) return "BAD writing /usr: " + write_err;
  // /etc is writable through the overlay and reads the /usr/etc file below.
  fd = open("/etc/hull-etc-test", O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return std::string("BAD /etc not writable: ") + std::strerror(errno);
  close(fd);
  if (access("/etc/hostname", R_OK) != 0) return "BAD /etc/hostname from /usr/etc missing";
  return "OK usr=" + usr.source + " " + usr.fstype + " " + usr.options.substr(0, 2) +
         " etc=" + etc.fstype + " root=" + root.fstype + " write=" + write_err;
}

}  // namespace

int main() {
  std::string result = Check();
  std::printf("HULL-INIT-%s\n", result.c_str());
  char cmdline[4096] = {};
  if (FILE* f = fopen("/proc/cmdline", "r")) {
    size_t n = fread(cmdline, 1, sizeof cmdline - 1, f);
    cmdline[n] = 0;
    fclose(f);
  }
  if (std::strstr(cmdline, "hull.test_hang")) {
    std::printf("HULL-HANG\n");
    std::fflush(stdout);
    for (;;) pause();
  }
  // PCR 11 (SHA-256 bank) as the kernel's TPM driver shows it, when a TPM exists.
  if (FILE* f = fopen("/sys/class/tpm/tpm0/pcr-sha256/11", "r")) {
    char hex[129] = {};
    if (fscanf(f, "%128s", hex) == 1) {
      for (char& c : hex) c = char(std::tolower(static_cast<unsigned char>(c)));
      std::printf("HULL-PCR11 %s\n", hex);
    }
    fclose(f);
  }
  std::printf("HULL-READ data.bin: %s\n", ReadCheck("/usr/lib/hull/data.bin").c_str());
  std::fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
