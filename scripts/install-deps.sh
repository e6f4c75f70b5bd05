#!/usr/bin/env bash
# Installs the Debian 12 packages Hull needs: `install-deps.sh demo` what
# `make demo` builds and runs (compiler, libraries, the image pipeline's tools,
# QEMU); `install-deps.sh test` (the default, used by `make test`) that plus
# the test suites' libraries, reference tools, services and benchmarks.
# Idempotent: packages already installed are skipped; apt-get runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail
what=${1:-test}

demo=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # libraries
  libssl-dev libcli11-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev
  libzstd-dev libarchive-dev libcurl4-openssl-dev libcpp-httplib-dev zlib1g-dev
  libselinux1-dev  # labels of the root filesystem (selabel_lookup)
  # hull build: compose from Debian's signed mirror, erofs, ESP, keys, disk
  mmdebstrap apt-utils gpgv curl ca-certificates debian-archive-keyring kmod
  erofs-utils dosfstools mtools e2fsprogs qemu-utils systemd-boot-efi efitools
  libengine-pkcs11-openssl  # signing keys in PKCS#11 tokens (docs/keys.md)
  opensc  # pkcs11-tool: hull keys init --pkcs11 makes the keys in the token
  # hull boot: QEMU + OVMF Secure Boot + swtpm
  qemu-system-x86 ovmf swtpm swtpm-tools
)
test_only=(
  # the sanitizer and fuzz build (lld links it, docs/testing.md), the format check, make tidy
  clang libclang-rt-14-dev lld clang-format clang-tidy
  libgtest-dev libgmock-dev libbenchmark-dev
  # reference tools used as test oracles
  cryptsetup-bin sbsigntool fdisk gdisk systemd systemd-container pesign binutils libarchive-tools zstd
  # a Debian kernel for UKI tests (/boot/vmlinuz-*)
  linux-image-cloud-amd64
  # services the tests start on loopback
  etcd-server etcd-client nginx
  # measurements
  time
  casync  # the delta bench compares Hull chunks with it
  chromium  # the FleetLock status page test renders the page headless
  cpio  # hull-init VM tests pack their initrd with it
  xorriso  # reads the El Torito catalog of hull disk iso media (tests/disk)
  libefivar1  # formats UEFI device paths: the oracle of Boot#### load options (tests/support/decode_load_option.py)
  jq  # the sysext oracle test and the container bench read JSON
  openssl  # http tests make a CA with the CLI
  softhsm2  # the PKCS#11 token of the signing-key tests (tests/pkcs11)
  python3-jsonschema  # the SBOM checked against the SPDX 2.3 schema (tests/data/spdx)
  mkosi  # the build bench compares Hull with it (bench/mkosi-bench.sh)
  runc  # runs the images of hull container build (tests/container)
  skopeo  # reads their OCI layouts (tests/container)
  umoci  # unpacks them into runc bundles (tests/container)
  docker-registry  # the registry the container signature test pushes to on loopback
  # arm64: the aarch64 systemd-stub and systemd-boot (Multi-Arch: same, beside
  # amd64's) and binutils that read AArch64 PE files, as test oracle
  binutils-aarch64-linux-gnu
  systemd-boot-efi:arm64
)
# `install-deps.sh slow` (make test-slow): the test set plus what only the
# vm-slow tier needs, so `make test` (and CI) does not install it.
slow_only=(
  # arm64: the cross compiler and the arm64 static libraries of the aarch64
  # hull-init and hull-agent (cmake/NodeArm64.cmake), which run under
  # qemu-user-static in their test; mmdebstrap's check of a foreign
  # architecture (arch-test) for arm64 composes (scripts/binfmt.sh)
  arch-test
  g++-aarch64-linux-gnu
  libfmt-dev:arm64
  libssl-dev:arm64
  libzstd-dev:arm64
  qemu-user-static
  zlib1g-dev:arm64
  # arm64 images booted by `hull boot` (boot_arm64_vm_test): QEMU's virt
  # machine and ArmVirtQemu's firmware (AAVMF)
  qemu-efi-aarch64
  qemu-system-arm
)

case "$what" in
  demo) packages=("${demo[@]}") ;;
  test) packages=("${demo[@]}" "${test_only[@]}") ;;
  slow) packages=("${demo[@]}" "${test_only[@]}" "${slow_only[@]}") ;;
  *)
    echo "usage: install-deps.sh [demo|test|slow]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  # one line per installed architecture (a Multi-Arch: same package may have two)
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps ($what): all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps ($what): installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages of another architecture (name:arm64) need it in dpkg's list.
for p in "${missing[@]}"; do
  arch=${p#*:}
  if [ "$arch" != "$p" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    $sudo dpkg --add-architecture "$arch"
  fi
done
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian enables these services on install; Hull's tests start their own
# instances on loopback ports, so the system-wide ones stay off.
for svc in nginx etcd; do
  $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
echo "install-deps: done"
