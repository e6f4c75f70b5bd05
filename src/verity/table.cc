#include "verity/table.h"

#include "base/hex.h"

namespace hull::verity {

Result<std::string> KernelTable(const VerityParams& p, const std::string& data_dev,
                                const std::string& hash_dev, ByteSpan root_hash,
                                const std::vector<std::string>& options) {
  HULL_ASSIGN_OR_RETURN(Geometry g, ComputeGeometry(p));
  std::string line = fmt::format("{} {} {} {} {} {} {} {} {} {}", p.hash_type, data_dev, hash_dev,
                                 p.data_block_size, p.hash_block_size, p.data_blocks,
                                 g.tree_start_block, crypto::DigestName(p.algorithm),
                                 HexEncode(root_hash), p.salt.empty() ? "-" : HexEncode(p.salt));
  if (!options.empty()) {
    line += fmt::format(" {}", options.size());
    for (const auto& o : options) line += " " + o;
  }
  return line;
}

}  // namespace hull::verity
