#include "agent/validate.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/dm_status.h"
#include "agent/events.h"
#include "agent/facts.h"
#include "agent/sysfs.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "node/os_release.h"
#include "node/preload.h"
#include "node/smbios.h"

namespace hull::agent {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// A file's text for the validation report, where an absent or unreadable
// file is itself the fact reported (no SELinux, no TPM, no first-boot state):
// it reads as "".
std::string Fact(const std::string& path, size_t max = 1 << 20) {
  auto text = ReadSysText(path, max);
  return text.ok() ? std::move(*text) : std::string();
}

// /dev/<name> of the virtio disk whose serial starts with `serial`, or "";
// `found_serial` receives the whole serial.
std::string FindDiskBySerial(const std::string& serial, std::string* found_serial) {
  DIR* d = opendir("/sys/block");
  if (!d) return "";
  std::string found;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name[0] == '.') continue;
    std::string s = Trim(Fact("/sys/block/" + name + "/serial", 256));
    if (s.rfind(serial, 0) == 0) {
      found = "/dev/" + name;
      *found_serial = s;
    }
  }
  closedir(d);
  return found;
}

json Command(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  auto r = RunAllowFailure(hull::Command{.argv = argv, .timeout = timeout});
  if (!r.ok()) return {{"exit", -1}, {"error", r.error().ToString()}};
  return {{"exit", r->exit_code}, {"out", Trim(r->out)}, {"err", Trim(r->err)}};
}

json UsrFacts() {
  json j;
  auto mounts = ParseMountInfo(Fact("/proc/self/mountinfo", 4 << 20));
  if (mounts.ok()) {
    // The OS's /usr is the first mount there: merged system extensions
    // stack systemd-sysext's overlay on it (docs/sysext.md).
    auto m = std::find_if(mounts->begin(), mounts->end(),
                          [](const MountEntry& e) { return e.mount_point == "/usr"; });
    if (m != mounts->end()) {
      j["source"] = m->source;
      j["fstype"] = m->fstype;
      j["mount_readonly"] = m->options.starts_with("ro,") || m->options == "ro";
    }
    if (auto top = FindMount(*mounts, "/usr")) j["top_fstype"] = top->fstype;
  }
  auto table = DmTargetOf("usr", true);
  if (table.ok()) {
    j["dm_type"] = table->type;
    auto h = VerityTableRootHash(table->params);
    if (h.ok()) j["root_hash"] = *h;
    j["table"] = table->params;
  } else {
    j["dm_error"] = table.error().ToString();
  }
  auto status = DmTargetOf("usr", false);
  if (status.ok()) j["status"] = status->params;
  // A write must fail: /usr is an erofs image under dm-verity.
  int fd = open("/usr/.hull-validate-write", O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd >= 0) {
    close(fd);
    unlink("/usr/.hull-validate-write");
    j["write_error"] = "";
  } else {
    j["write_error"] = std::strerror(errno);
    j["write_errno"] = errno;
  }
  return j;
}

json ScanUsr() {
  json j;
  auto start = Clock::now();
  int fd = open("/dev/mapper/usr", O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) return {{"ok", false}, {"error", fmt::format("open: {}", std::strerror(errno))}};
  uint64_t size = 0;
  ioctl(fd, BLKGETSIZE64, &size);
  constexpr size_t kChunk = 1 << 20;
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, kChunk) != 0) {
    close(fd);
    return {{"ok", false}, {"error", "out of memory"}};
  }
  uint64_t off = 0;
  std::string error;
  while (off < size) {
    size_t n = size_t(std::min<uint64_t>(kChunk, size - off));
    ssize_t got = pread(fd, buf, n, off_t(off));
    if (got > 0) {
      off += uint64_t(got);
      continue;
    }
    if (got < 0 && n > 4096) {
      // Narrow the failure down to its 4 KiB block.
      for (size_t b = 0; b < n; b += 4096) {
        if (pread(fd, buf, 4096, off_t(off + b)) != 4096) {
          off += b;
          break;
        }
      }
    }
    error = got < 0 ? std::strerror(errno) : "short read";
    break;
  }
  free(buf);
  close(fd);
  j["bytes"] = off;
  j["size"] = size;
  j["ok"] = error.empty() && off == size;
  if (!error.empty()) {
    j["error"] = error;
    j["error_offset"] = off;
  }
  j["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  return j;
}

// The kernel log records still in the ring buffer, messages only; `lost`
// counts the reads that found records overwritten before they were read
// (EPIPE), so a reader of the log can tell it is incomplete.
std::string KernelLog(size_t* lost = nullptr) {
  std::string log;
  if (lost) *lost = 0;
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return log;
  char rec[8192];
  for (int i = 0; i < 100000; ++i) {
    ssize_t n = read(fd, rec, sizeof rec);
    if (n < 0 && errno == EPIPE) {  // overwritten records
      if (lost) ++*lost;
      continue;
    }
    if (n <= 0) break;
    std::string_view r(rec, size_t(n));
    size_t semi = r.find(';');
    log.append(semi == std::string_view::npos ? r : r.substr(semi + 1));
  }
  close(fd);
  return log;
}

json SelinuxFacts() {
  json j;
  std::string enforce = Trim(Fact("/sys/fs/selinux/enforce", 16));
  j["mode"] = enforce == "1" ? "enforcing" : enforce == "0" ? "permissive" : "disabled";
  size_t lost = 0;
  auto denials = SelinuxDenials(KernelLog(&lost));
  j["denials"] = denials.size();
  j["kmsg_lost"] = lost;
  json first = json::array();
  for (size_t i = 0; i < denials.size() && i < 12; ++i) first.push_back(denials[i]);
  j["first_denials"] = first;
  return j;
}

// The SELinux facts of the reboot phase: the denials of the second boot,
// once it has settled (units that start late, agetty, log theirs too).
json RebootSelinuxFacts() {
  Command({"systemctl", "is-system-running", "--wait"}, std::chrono::seconds(300));
  return SelinuxFacts();
}

json ContainerFacts(const std::string& disk) {
  json j;
  j["containerd"] = Command({"systemctl", "is-active", "containerd"}, std::chrono::seconds(30));
  const std::string ref = "docker.io/hull/probe:latest";
  j["import"] = Command({"ctr", "-n", "hull", "images", "import", disk}, std::chrono::seconds(120));
  json run =
      Command({"ctr", "-n", "hull", "run", "--rm", ref, "hull-probe"}, std::chrono::seconds(120));
  j["run"] = run;
  std::string out = run.value("out", "");
  j["ok"] = out.find(kContainerProbeOutput) != std::string::npos &&
            out.find("pid=1 ") != std::string::npos;
  return j;
}

// An IPv4 socket address's host part, dotted ("" for another family).
std::string AddressText(const sockaddr_in& a) {
  char text[INET_ADDRSTRLEN] = {};
  if (a.sin_family != AF_INET || !inet_ntop(AF_INET, &a.sin_addr, text, sizeof text)) return "";
  return text;
}

// CNI (docs/sysext.md "CNI"): when the node has a network configuration in
// /etc/cni/net.d, the probe image (imported by ContainerFacts) runs again
// under `ctr run --cni`, which has containerd's CNI library call the
// plugins in /opt/cni/bin on the container's network namespace. The probe
// connects from there to its default gateway, the host side of the bridge,
// on a port this process listens on (every address, an ephemeral port):
// `peer` is the container's address as the kernel delivered the connection
// here, `message` what the probe sent. null without a configuration.
json CniFacts() {
  std::error_code ec;
  if (std::filesystem::is_empty("/etc/cni/net.d", ec) || ec) return nullptr;
  json j;
  j["config"] = json::array();
  for (const auto& e : std::filesystem::directory_iterator("/etc/cni/net.d", ec))
    if (j["config"].size() < 8) j["config"].push_back(e.path().filename().string());
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  socklen_t len = sizeof a;
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(lfd, 4) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    j["listen_error"] = std::strerror(errno);
    if (lfd >= 0) close(lfd);
    return j;
  }
  const std::string port = std::to_string(ntohs(a.sin_port));
  auto start = Clock::now();
  j["run"] = Command({"ctr", "-n", "hull", "run", "--rm", "--cni", "docker.io/hull/probe:latest",
                      "hull-cni-probe", "/hull-agent", "probe", "--gateway-port", port},
                     std::chrono::seconds(120));
  j["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  // The probe has exited: a connection it made waits in the backlog.
  pollfd p{.fd = lfd, .events = POLLIN, .revents = 0};
  sockaddr_in peer{};
  len = sizeof peer;
  int c = poll(&p, 1, 5000) == 1
              ? accept4(lfd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC)
              : -1;
  if (c >= 0) {
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    ssize_t n = read(c, buf, sizeof buf);
    j["peer"] = AddressText(peer);
    j["message"] = Trim(n > 0 ? std::string(buf, size_t(n)) : std::string());
    close(c);
  } else {
    j["accept_error"] = "no connection from the container";
  }
  close(lfd);
  // Where containerd's CRI plugin (the kubelet's) looks for plugins, and
  // the bridge plugin found there: upstream's default is /opt/cni/bin,
  // Debian's /etc/containerd/config.toml says /usr/lib/cni (and the library
  // ctr uses is patched to it), where the extension's plugins are merged.
  std::istringstream config(
      Command({"containerd", "config", "dump"}, std::chrono::seconds(60)).value("out", ""));
  for (std::string line; std::getline(config, line);) {
    const size_t at = line.find("bin_dir = \"");
    if (at == std::string::npos) continue;
    const std::string dir = line.substr(at + 11);
    j["cri_bin_dir"] = dir.substr(0, dir.find('"'));
    break;
  }
  auto bridge = std::filesystem::canonical(j.value("cri_bin_dir", "") + "/bridge", ec);
  j["bridge_plugin"] = ec ? "" : bridge.string();
  j["bridges"] =
      Command({"ip", "-4", "-o", "addr", "show", "type", "bridge"}, std::chrono::seconds(30))
          .value("out", "");
  return j;
}

// The images the build preloaded (node/preload.h): each listed by containerd
// in the kubelet's namespace with the digest the build recorded, and each
// with a known entrypoint run from the store (ctr run never pulls). null
// when the image preloads nothing.
json PreloadFacts() {
  const std::string text = Fact(node::kPreloadList, node::kMaxPreloadListBytes);
  if (text.empty()) return nullptr;
  json list = json::parse(text, nullptr, false);
  if (!list.is_object() || !list.contains("images") || !list["images"].is_array())
    return {{"error", std::string(node::kPreloadList) + " is not an image list"}};
  json j;
  j["unit"] = Command({"systemctl", "is-active", "hull-preload.service"}, std::chrono::seconds(30));
  json ls = Command({"ctr", "--namespace", node::kPreloadNamespace, "images", "ls"},
                    std::chrono::seconds(60));
  // "REF TYPE DIGEST SIZE PLATFORMS LABELS", one image a line.
  std::map<std::string, std::string> stored;
  std::istringstream lines(ls.value("out", ""));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string ref, type, digest;
    if (words >> ref >> type >> digest) stored[ref] = digest;
  }
  j["images"] = json::array();
  j["runs"] = json::array();
  int n = 0;
  for (const json& image : list["images"]) {
    if (!image.is_object()) continue;
    const std::string name = image.value("name", ""), digest = image.value("digest", "");
    j["images"].push_back({{"name", name},
                           {"digest", digest},
                           {"stored", stored.contains(name) ? stored[name] : ""}});
    const json run = image.value("run", json::array());
    if (!run.is_array() || run.empty()) continue;
    // --null-io: the entrypoint's stdin is /dev/null (ctr never closes a
    // stdin it forwards, so a shell entrypoint would wait for ever).
    json r = Command({"ctr", "--namespace", node::kPreloadNamespace, "run", "--rm", "--null-io",
                      name, fmt::format("hull-preload-{}", n++)},
                     std::chrono::seconds(120));
    r["name"] = name;
    j["runs"].push_back(r);
  }
  if (j["images"].empty()) j["ls"] = ls;
  return j;
}

// System extensions (docs/sysext.md): what `hull-agent extensions` did this
// boot, what systemd-sysext merged, and a file extensions may ship.
json ExtensionFacts() {
  json j;
  // Absent (no extensions this boot) or unreadable: null, never a discarded
  // value, which dumps as text no JSON parser reads.
  json state = json::parse(Fact("/run/hull/extensions.json"), nullptr, false);
  j["state"] = state.is_discarded() ? json() : state;
  j["sysext"] = Command({"systemd-sysext", "status"}, std::chrono::seconds(30));
  // A program the CNI extension ships, by its SHA-256 (a binary is no JSON
  // text); "" when absent.
  auto bridge = ReadFileBytes("/usr/lib/cni/bridge", 64 << 20);
  if (bridge.ok()) {
    crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
    h.Update(*bridge);
    j["cni_bridge_sha256"] = HexEncode(h.Final());
  } else {
    j["cni_bridge_sha256"] = "";
  }
  // The services merged extensions ship, as the service manager sees them
  // after the agent's daemon-reload (docs/sysext.md "Ordering").
  json units = json::object();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/extensions", ec)) {
    std::error_code uec;
    for (const auto& u :
         std::filesystem::directory_iterator(e.path() / "usr/lib/systemd/system", uec)) {
      const std::string name = u.path().filename().string();
      if (units.size() >= 16 || !name.ends_with(".service") || !u.is_regular_file(uec)) continue;
      units[name] = Command({"systemctl", "show", name, "-p", "LoadState", "-p", "ActiveState",
                             "-p", "Result", "-p", "ExecMainStatus"},
                            std::chrono::seconds(30))
                        .value("out", "");
    }
  }
  j["units"] = units;
  j["journal"] = Command(
      {"journalctl", "-b", "-u", "hull-extensions.service", "-o", "cat", "--no-pager", "-n", "60"},
      std::chrono::seconds(30));
  j["unit"] = Command({"systemctl", "show", "--property=ExecMainStartTimestampMonotonic",
                       "--property=ExecMainExitTimestampMonotonic", "hull-extensions.service"},
                      std::chrono::seconds(30));
  return j;
}

// What `hull customize` put into the image, as the booted node reads it
// (docs/customize.md): the SHA-256 of each regular file directly in
// /usr/lib/hull and /etc/sysctl.d (the factory /etc through the overlay, so a
// file there was read from the verity-checked /usr), the live value of every
// key those sysctl.d files set, the users of customize's sysusers.d file
// (getent passwd, their authorized_keys' SHA-256) and the units enabled in
// the image.
json CustomizedFacts() {
  constexpr size_t kMaxEntries = 64, kMaxFileBytes = 1 << 20;
  json j;
  json files = json::object(), sysctl = json::object();
  for (const char* dir : {"/usr/lib/hull", "/etc/sysctl.d"}) {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file(ec) && names.size() < kMaxEntries) names.push_back(e.path());
    std::sort(names.begin(), names.end());
    for (const auto& path : names) {
      auto data = ReadFileBytes(path, kMaxFileBytes);
      if (!data.ok()) {
        files[path] = data.error().ToString();
        continue;
      }
      crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
      h.Update(*data);
      files[path] = HexEncode(h.Final());
      if (std::string(dir) != "/etc/sysctl.d" || !path.ends_with(".conf")) continue;
      std::istringstream in(std::string(data->begin(), data->end()));
      for (std::string line; std::getline(in, line) && sysctl.size() < kMaxEntries;) {
        size_t eq = line.find('=');
        if (line.empty() || line[0] == '#' || line[0] == ';' || eq == std::string::npos) continue;
        std::string key = Trim(line.substr(0, eq));
        while (!key.empty() && key.front() == ' ') key.erase(0, 1);
        if (key.empty() || key.find("..") != std::string::npos || key.front() == '-') continue;
        std::string rel = key;
        std::replace(rel.begin(), rel.end(), '.', '/');
        sysctl[key] = Trim(Fact("/proc/sys/" + rel, 4096));
      }
    }
  }
  j["files"] = files;
  j["sysctl"] = sysctl;
  json users = json::object();
  std::istringstream sysusers(Fact("/usr/lib/sysusers.d/hull-customize.conf", 1 << 16));
  for (std::string line; std::getline(sysusers, line) && users.size() < kMaxEntries;) {
    std::istringstream words(line);
    std::string kind, name;
    if (!(words >> kind >> name) || kind != "u") continue;
    json u = Command({"getent", "passwd", name}, std::chrono::seconds(10));
    // The user owns the home: a link or FIFO planted there is not followed
    // by this root process.
    auto keys = ReadUntrustedFile("/home", name + "/.ssh/authorized_keys", kMaxFileBytes);
    if (keys.ok()) {
      crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
      h.Update(*keys);
      u["authorized_keys_sha256"] = HexEncode(h.Final());
    } else {
      u["authorized_keys_error"] = keys.error().ToString();
    }
    users[name] = u;
  }
  j["users"] = users;
  // The image's own enablement: the links `systemctl enable` made in the
  // factory /etc (/usr/etc, verity-covered; customize and the build put them
  // there), each with what the manager says of it now (`systemctl
  // is-enabled`: "enabled", or why not, e.g. a link whose unit is absent).
  std::set<std::string> linked;
  std::error_code ec;
  for (const auto& w : std::filesystem::directory_iterator("/usr/etc/systemd/system", ec)) {
    if (!w.path().string().ends_with(".wants") || !w.is_directory(ec)) continue;
    for (const auto& e : std::filesystem::directory_iterator(w.path(), ec))
      if (linked.size() < kMaxEntries) linked.insert(e.path().filename().string());
  }
  json units = json::object();
  for (const auto& u : linked) {
    // One unit a call: is-enabled stops at the first link without a unit.
    json r = Command({"systemctl", "is-enabled", u}, std::chrono::seconds(30));
    const std::string state = r.value("out", "");
    units[u] = state.empty() ? r.value("err", r.value("error", "")) : state;
  }
  j["enabled_units"] = units;
  return j;
}

// The update check of this boot (hull-update.service, when the image
// enables it): its result and exit status, and the agent's events
// (docs/agent.md), which say whether it read the repository.
json UpdateFacts() {
  json j;
  j["unit"] = Command({"systemctl", "show", "hull-update.service", "-p", "ActiveState", "-p",
                       "Result", "-p", "ExecMainStatus"},
                      std::chrono::seconds(30));
  json events = json::array();
  std::istringstream journal(
      Command({"journalctl", "-b", "-u", "hull-update.service", "-o", "cat", "--no-pager"},
              std::chrono::seconds(60))
          .value("out", ""));
  for (std::string line; std::getline(journal, line) && events.size() < 32;) {
    if (!line.starts_with(kEventPrefix)) continue;
    json e = json::parse(line.substr(std::strlen(kEventPrefix)), nullptr, false);
    if (!e.is_discarded()) events.push_back(e);
  }
  j["events"] = events;
  return j;
}

json WriteProbe(const std::string& path, const std::string& content) {
  auto st = WriteFileAtomic(path, content);
  return st.ok() ? json{{"ok", true}} : json{{"ok", false}, {"error", st.error().ToString()}};
}

json BootFacts() {
  json j;
  j["system_state"] =
      Command({"systemctl", "is-system-running", "--wait"}, std::chrono::seconds(300));
  json analyze = Command({"systemd-analyze", "time"}, std::chrono::seconds(60));
  auto secs = ParseStartupSeconds(analyze.value("out", ""));
  if (secs.ok()) j["startup_seconds"] = *secs;
  j["analyze"] = analyze.value("out", analyze.value("error", ""));
  j["failed_units"] =
      Command({"systemctl", "--failed", "--plain", "--no-legend"}, std::chrono::seconds(30))
          .value("out", "");
  auto mem = MemoryInUse(Fact("/proc/meminfo"));
  if (mem.ok()) j["memory_used_bytes"] = *mem;
  return j;
}

json Phase1(const std::string& disk) {
  json j;
  j["boot"] = BootFacts();
  std::string cmdline = Fact("/proc/cmdline");
  j["cmdline"] = Trim(cmdline);
  j["image_version"] =
      node::OsReleaseValue(Fact("/usr/lib/os-release"), "IMAGE_VERSION").value_or("");
  j["kernel"] = Trim(Fact("/proc/sys/kernel/osrelease"));
  j["usr"] = UsrFacts();
  auto sb =
      ReadSysText("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d0-aa0d-00a0c90e63ed", 64);
  Result<bool> v = sb.ok() ? ParseSecureBootVariable(AsBytes(*sb)) : Result<bool>(sb.error());
  if (v.ok()) {
    j["secure_boot"] = *v;
    j["secure_boot_source"] = "efivars";
  } else {
    // Without efivarfs, the kernel's own reading of the variable at boot.
    std::string log = KernelLog();
    bool on = log.find("secureboot: Secure boot enabled") != std::string::npos;
    bool off = log.find("secureboot: Secure boot disabled") != std::string::npos;
    if (on || off) {
      j["secure_boot"] = on;
      j["secure_boot_source"] = "kernel log (efivarfs: " + v.error().ToString() + ")";
    } else {
      j["secure_boot_error"] = v.error().ToString();
    }
  }
  auto lockdown = ParseLockdown(Fact("/sys/kernel/security/lockdown", 256));
  j["lockdown"] = lockdown.ok() ? *lockdown : "unknown";
  std::string pcr = Trim(Fact("/sys/class/tpm/tpm0/pcr-sha256/11", 256));
  j["tpm"] = access("/dev/tpm0", F_OK) == 0;
  if (!pcr.empty()) {
    for (auto& c : pcr) c = char(std::tolower(static_cast<unsigned char>(c)));
    j["pcr11"] = pcr;
  }
  auto mounts = ParseMountInfo(Fact("/proc/self/mountinfo", 4 << 20));
  if (mounts.ok()) {
    if (auto m = FindMount(*mounts, "/etc")) j["etc_fstype"] = m->fstype;
    if (auto m = FindMount(*mounts, "/")) j["root_fstype"] = m->fstype;
    j["efivarfs_mounted"] = FindMount(*mounts, "/sys/firmware/efi/efivars").has_value();
  }
  j["container"] = ContainerFacts(disk);
  j["cni"] = CniFacts();
  j["preload"] = PreloadFacts();
  j["usr_scan"] = ScanUsr();
  j["extensions"] = ExtensionFacts();
  j["customized"] = CustomizedFacts();
  j["update"] = UpdateFacts();
  j["selinux"] = SelinuxFacts();  // last: includes denials from the steps above
  return j;
}

// The machine's request, from its SMBIOS OEM strings. An unreadable or
// malformed table asks for nothing (`why` says what was wrong).
node::ValidationRequest ReadRequest(const std::string& table_path, std::string* why) {
  auto table = ReadSysText(table_path, node::kMaxSmbiosTableBytes + 1);
  if (!table.ok()) {
    *why = table.error().ToString();
    return node::ValidationRequest::kNone;
  }
  auto strings = node::SmbiosOemStrings(AsBytes(*table));
  if (!strings.ok()) {
    *why = strings.error().ToString();
    return node::ValidationRequest::kNone;
  }
  return node::FindValidationRequest(*strings);
}

}  // namespace

int RunValidate(const ValidateOptions& o) {
  std::string serial, why;
  const node::ValidationRequest request = ReadRequest(o.smbios_table, &why);
  if (request == node::ValidationRequest::kNone) {
    // Say so on the console when a disk looks like a request: only the
    // machine's firmware settings ask for validation (it powers the node off).
    std::string stray = FindDiskBySerial(node::kValidateDiskSerial, &serial);
    if (!stray.empty())
      WriteLine(o.console, fmt::format("hull-agent: not validating: {} has serial '{}', but only "
                                       "the SMBIOS OEM string '{}' or '{}' asks for validation",
                                       stray, serial, node::kValidateRebootOemString,
                                       node::kValidateOnceOemString));
    if (o.if_requested) return 0;
    std::fprintf(stderr,
                 "hull-agent: the machine carries no SMBIOS OEM string '%s' or '%s' (%s): nothing "
                 "to validate\n",
                 node::kValidateRebootOemString, node::kValidateOnceOemString,
                 why.empty() ? node::kSmbiosTablePath : why.c_str());
    return kExitError;
  }
  const bool once = request == node::ValidationRequest::kOnce;
  std::string disk = FindDiskBySerial(node::kValidateDiskSerial, &serial);
  if (disk.empty()) {
    WriteLine(o.console, fmt::format("hull-agent: validation requested, but no disk with serial "
                                     "'{}' (the OCI probe image) is attached",
                                     node::kValidateDiskSerial));
    return kExitError;
  }
  const std::string boot_id = Trim(Fact("/proc/sys/kernel/random/boot_id", 64));
  const std::string first = o.state_dir + "/phase1.json";
  const std::string etc_marker = "/etc/hull-validate.marker";
  const std::string var_marker = o.state_dir + "/marker";
  std::string saved = Fact(first);
  if (!saved.empty()) {
    json phase1 = json::parse(saved, nullptr, false);
    if (!phase1.is_object()) {
      // Running phase 1 again would reboot into the same unreadable file
      // for ever: report it once and stop.
      unlink(first.c_str());
      WriteLine(o.console, kValidatePrefix + json{{"error", first + " is not a JSON object: the "
                                                                    "first boot's report is lost"}}
                                                 .dump());
      return kExitError;
    }
    std::string prev = phase1.value("boot_id", "");
    if (!prev.empty() && prev != boot_id) {
      json persist = {{"etc", Trim(Fact(etc_marker, 256)) == prev},
                      {"var", Trim(Fact(var_marker, 256)) == prev},
                      {"boot_id", boot_id}};
      json report = {{"phase1", phase1}, {"persist", persist}};
      report["reboot_selinux"] = RebootSelinuxFacts();
      unlink(first.c_str());
      WriteLine(o.console, kValidatePrefix + report.dump());
      if (o.power) Command({"systemctl", "poweroff", "--no-block"}, std::chrono::seconds(30));
      return 0;
    }
  }
  WriteLine(o.console, once ? "hull-agent: validating" : "hull-agent: validating (phase 1 of 2)");
  std::error_code ec;
  std::filesystem::create_directories(o.state_dir, ec);
  json j = Phase1(disk);
  j["boot_id"] = boot_id;
  j["etc_write"] = WriteProbe(etc_marker, boot_id + "\n");
  j["var_write"] = WriteProbe(var_marker, boot_id + "\n");
  if (once) {
    WriteLine(o.console, kValidatePrefix + json{{"phase1", j}}.dump());
    if (o.power) Command({"systemctl", "poweroff", "--no-block"}, std::chrono::seconds(30));
    return 0;
  }
  auto st = WriteFileAtomic(first, j.dump());
  if (!st.ok()) {
    WriteLine(o.console,
              kValidatePrefix + json{{"phase1", j}, {"error", st.error().ToString()}}.dump());
    return ExitCodeFor(st.error().code());
  }
  WriteLine(o.console, "hull-agent: phase 1 done, rebooting to check persistence");
  if (o.power) Command({"systemctl", "reboot", "--no-block"}, std::chrono::seconds(30));
  return 0;
}

int RunProbe(int gateway_port) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::printf("%s pid=%d hostname=%s\n", kContainerProbeOutput, int(getpid()), host);
  if (gateway_port == 0) return 0;
  auto gateway = DefaultGateway(Fact("/proc/net/route"));
  if (!gateway.ok()) {
    std::printf("hull-cni-probe: %s\n", gateway.error().ToString().c_str());
    return kExitError;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(gateway_port));
  inet_pton(AF_INET, gateway->c_str(), &a.sin_addr);
  // The container may start before the kernel has its link up (the veth's
  // carrier event, late under emulation): tried for up to a minute, each
  // try bounded (SO_SNDTIMEO bounds connect too).
  int fd = -1, err = 0, tries = 0;
  sockaddr_in self{};
  for (auto end = Clock::now() + std::chrono::seconds(60); fd < 0 && Clock::now() < end;) {
    if (tries++ > 0) sleep(1);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return kExitError;
    timeval tv{.tv_sec = 3, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    socklen_t len = sizeof self;
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) != 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0) {
    std::printf("hull-cni-probe: connecting to %s:%d (%d tries): %s\n", gateway->c_str(),
                gateway_port, tries, std::strerror(err));
    return kExitError;
  }
  const std::string line =
      fmt::format("{} from={} to={}\n", kCniProbeOutput, AddressText(self), *gateway);
  bool sent = write(fd, line.data(), line.size()) == ssize_t(line.size());
  close(fd);
  std::printf("%s", sent ? line.c_str() : "hull-cni-probe: short write\n");
  return sent ? 0 : kExitError;
}

}  // namespace hull::agent
