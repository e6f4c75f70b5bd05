// The kernel's dm-verity table line (Documentation/admin-guide/
// device-mapper/verity.rst), as hull-init and tests pass it to device-mapper.
#pragma once

#include <string>
#include <vector>

#include "verity/params.h"

namespace hull::verity {

// "<version> <data_dev> <hash_dev> <data_bs> <hash_bs> <num_data_blocks>
//  <hash_start_block> <alg> <root_hex> <salt_hex|-> [<#opts> <opts>...]"
// hash_start_block follows the superblock rule of Geometry.
Result<std::string> KernelTable(const VerityParams& p, const std::string& data_dev,
                                const std::string& hash_dev, ByteSpan root_hash,
                                const std::vector<std::string>& options = {});

}  // namespace hull::verity
