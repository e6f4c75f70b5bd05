#include "verity/published.h"

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "verity/tree.h"

namespace hull::verity {

namespace fs = std::filesystem;

nlohmann::json PublishedParams(const VerityParams& p, uint64_t file_length) {
  return {{"hash_type", p.hash_type},
          {"algorithm", crypto::DigestName(p.algorithm)},
          {"data_block_size", p.data_block_size},
          {"hash_block_size", p.hash_block_size},
          {"data_blocks", p.data_blocks},
          {"salt", HexEncode(p.salt)},
          {"uuid", p.uuid.ToString()},
          {"superblock", p.superblock},
          {"file_length", file_length}};
}

Status RecomputeHashFile(const nlohmann::json& j, const std::string& usr_path,
                         const std::string& out_path) {
  HULL_ASSIGN_OR_RETURN(File data, File::OpenRead(usr_path));
  HULL_ASSIGN_OR_RETURN(uint64_t length, data.Size());
  return RecomputeHashFile(j, data, 0, length, out_path);
}

Status RecomputeHashFile(const nlohmann::json& j, const File& data, uint64_t data_offset,
                         uint64_t data_length, const std::string& out_path) {
  VerityParams p;
  uint64_t file_length = 0;
  try {
    p.hash_type = j.at("hash_type").get<uint32_t>();
    HULL_ASSIGN_OR_RETURN(p.algorithm,
                          crypto::ParseDigestAlgorithm(j.at("algorithm").get<std::string>()));
    p.data_block_size = j.at("data_block_size").get<uint32_t>();
    p.hash_block_size = j.at("hash_block_size").get<uint32_t>();
    p.data_blocks = j.at("data_blocks").get<uint64_t>();
    HULL_ASSIGN_OR_RETURN(p.salt, HexDecode(j.at("salt").get<std::string>()));
    HULL_ASSIGN_OR_RETURN(p.uuid, Uuid::Parse(j.at("uuid").get<std::string>()));
    p.superblock = j.at("superblock").get<bool>();
    file_length = j.at("file_length").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "verity parameters: {}", e.what());
  }
  HULL_TRY(ValidateParams(p).Context("verity parameters"));
  // The tree covers the usr image, never more of what lies after it (the
  // rest of a disk): data_blocks is untrusted until the result is checked.
  if (p.data_blocks == 0) {
    if (data_length == 0 || data_length % p.data_block_size != 0)
      return Errorf(ErrorCode::kInvalidArgument,
                    "verity parameters: the {}-byte usr image is not whole {}-byte data blocks",
                    data_length, p.data_block_size);
    p.data_blocks = data_length / p.data_block_size;
  } else if (p.data_blocks > data_length / p.data_block_size) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "verity parameters: {} data blocks of {} bytes exceed the {}-byte usr image",
                  p.data_blocks, p.data_block_size, data_length);
  }
  p.data_offset = data_offset;
  std::error_code ec;
  fs::remove(out_path, ec);
  HULL_ASSIGN_OR_RETURN(File hash, File::CreateNew(out_path, 0600));
  HULL_TRY(FormatTree(data, hash, p).Context("recomputing the verity tree"));
  HULL_ASSIGN_OR_RETURN(uint64_t size, hash.Size());
  if (size > file_length) {
    return Errorf(ErrorCode::kVerifyFailed, "recomputed tree is {} bytes, published {}", size,
                  file_length);
  }
  return hash.Truncate(file_length);
}

}  // namespace hull::verity
