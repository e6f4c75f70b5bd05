// The verity parameters a release publishes beside its hash tree (the
// verity target's custom "verity" object, docs/update.md), so a node can
// recompute the tree from the usr image instead of downloading it. The host
// writes the object (src/release), the node reads it (src/slot apply): both
// sides of the one format live here.
//
//   {"hash_type", "algorithm", "data_block_size", "hash_block_size",
//    "data_blocks", "salt" (hex), "uuid", "superblock",
//    "file_length" (bytes of the published hash file)}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "base/result.h"
#include "verity/params.h"

namespace hull::verity {

// The custom object of a hash file of `file_length` bytes made with `p`.
nlohmann::json PublishedParams(const VerityParams& p, uint64_t file_length);

// Recomputes the hash file (superblock + tree, zero-padded to file_length)
// of `usr_path` into `out_path` (replaced) from a PublishedParams object,
// with the one tree engine (FormatTree). The object is untrusted until the
// caller checks the result's digest: kInvalidArgument for a malformed object
// or invalid parameters, kVerifyFailed when the tree outgrows file_length,
// FormatTree's and the file errors otherwise.
Status RecomputeHashFile(const nlohmann::json& published, const std::string& usr_path,
                         const std::string& out_path);
// The same with the usr image read where it lies: `data_length` bytes at
// `data_offset` of `data` (a partition of a disk, read in place). The tree
// covers at most those bytes: kInvalidArgument when data_blocks asks for
// more; data_blocks 0 means the whole image (whole blocks).
Status RecomputeHashFile(const nlohmann::json& published, const File& data, uint64_t data_offset,
                         uint64_t data_length, const std::string& out_path);

}  // namespace hull::verity
