// The usr product cache: what compose + shape + pack made for one set of
// inputs, kept so that a warm build runs neither mmdebstrap, tar, the shape
// step nor mkfs.erofs (docs/build.md "Caching").
//
// Layout (CACHE/products/<key>/, written as <key>.partial-XXXXXX and renamed,
// so a reader sees a whole entry or none):
//   image.json packages.json shape-report.json   the compose stage's OUT files
//   file_contexts                                when SELinux is not disabled
//   usr.erofs                                    the packed /usr
//   tree/usr/lib/os-release                      what the later stages read
//   tree/usr/lib/modules/<kver>/                 from the tree: the pruned
//   tree/boot/vmlinuz-<kver>                     modules and the kernel
// The later stages (seal, initrd, uki) read the entry in place, never write it.
//
// Key: SHA-256 over "hull-products-v1", the compose key (suite, arch, variant,
// mirror, components, packages and the verified InRelease; compose.h) and
// ProductMaterial: every other input shape and pack read. Anything new the
// shape step installs into /usr (a node binary, a file) must be added there.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "spec/spec.h"

namespace hull::build {

inline constexpr int kKeptProducts = 3;  // entries kept (most recently used)

struct ProductInputs {
  const spec::ImageSpec* spec = nullptr;
  std::string spec_dir;  // resolves relative `files` sources
  std::string compose_key;
  int64_t source_date_epoch = 0;
  std::string init_binary;  // hull-init
  std::string self_binary;  // the hull binary running the build (shape/pack code)
};

// The text hashed into the key (one "field=value" line each): spec name,
// version, flavor, selinux, erofs compression, module allow-list, files (dest
// and the source's SHA-256), services, users, whether development keys sign,
// SOURCE_DATE_EPOCH, Hull's version, the SHA-256 of hull and hull-init, and
// the versions of the host tools shape and pack run (mkfs.erofs, systemctl,
// depmod). kNotFound/kIo when a file cannot be read.
Result<std::string> ProductMaterial(const ProductInputs& in);
// Hex SHA-256 of "hull-products-v1\n" compose key and material.
std::string ProductKey(const std::string& compose_key, const std::string& material);
// CACHE/products/<key>.
std::string ProductDir(const std::string& cache_dir, const std::string& key);
// Whether the entry exists (and marks it as just used for eviction).
bool ProductExists(const std::string& dir);

// Stores a finished compose OUT (`compose_dir`: image.json ..., tree/) and
// its packed `usr_image` as the entry `dir`, then evicts all but the
// kKeptProducts most recently used entries. The image is hard-linked when
// possible, else copied.
Status StoreProducts(const std::string& dir, const std::string& compose_dir,
                     const std::string& usr_image);

}  // namespace hull::build
