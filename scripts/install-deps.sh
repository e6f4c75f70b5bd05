#!/usr/bin/env bash
# Installs every Debian package Hull needs to build, test and benchmark.
# Idempotent: packages already installed are skipped; apt-get runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries
  libssl-dev libcli11-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev
  libzstd-dev libarchive-dev libcurl4-openssl-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  libselinux1-dev  # labels of the root filesystem (selabel_lookup)
  # reference tools used as test oracles
  cryptsetup-bin sbsigntool efitools fdisk gdisk qemu-utils systemd systemd-container pesign binutils libarchive-tools zstd
  # a Debian kernel for UKI tests (/boot/vmlinuz-*)
  linux-image-cloud-amd64
  # image pipeline, VM and services
  erofs-utils dosfstools mtools e2fsprogs mmdebstrap systemd-boot-efi
  kmod apt-utils gpgv curl debian-archive-keyring
  ovmf swtpm swtpm-tools qemu-system-x86 etcd-server etcd-client nginx
  # measurements
  time
  casync  # the delta bench compares Hull chunks with it
  cpio  # hull-init VM tests pack their initrd with it
  openssl ca-certificates  # http tests make a CA with the CLI; the TLS trust store
  python3-jsonschema  # the SBOM checked against the SPDX 2.3 schema (tests/data/spdx)
  mkosi  # the build bench compares Hull with it (bench/mkosi-bench.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian enables these services on install; Hull's tests start their own
# instances on loopback ports, so the system-wide ones stay off.
for svc in nginx etcd; do
  $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
echo "install-deps: done"
