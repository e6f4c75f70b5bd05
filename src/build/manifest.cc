#include <fmt/format.h>

#include "base/hex.h"
#include "build/work.h"
#include "crypto/digest.h"
#include "node/config.h"

#ifndef HULL_VERSION
#define HULL_VERSION "0.0.0"
#endif

namespace hull::build {

nlohmann::json ManifestJson(const spec::ImageSpec& s, const Work& w, const BuildResult& res) {
  nlohmann::json spec_record;  // null when the build was given no text
  if (!w.spec_text.empty())
    spec_record = {{"file", node::kSpecRecord},
                   {"sha256", HexEncode(crypto::Sha256(AsBytes(w.spec_text)))},
                   {"text", w.spec_text}};
  nlohmann::json pcr = nlohmann::json::object();
  for (const auto& [phase, hex] : w.uki.pcr11) pcr[phase] = hex;
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [name, secs] : res.stage_seconds) stages[name] = std::round(secs * 1000) / 1000;
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, sha] : res.outputs) outputs[name] = {{"sha256", sha}};
  for (const auto& [name, cr] : w.disks) {
    outputs[name]["virtual_size"] = cr.virtual_size;
    outputs[name]["file_size"] = cr.file_size;
  }
  return {
      {"name", s.name},
      {"version", s.version},
      {"flavor", spec::FlavorName(s.flavor)},
      {"arch", s.arch},
      {"hull_version", HULL_VERSION},
      {"source_date_epoch", w.epoch},
      {"insecure_dev_keys", s.signing_key_dir.empty()},
      {"kernel", w.kernel.version},
      {"packages", w.compose.shape.packages.size()},
      {"compose_cache_hit", w.compose.compose.cache_hit},
      {"compose_cache_key", w.compose.compose.key},
      {"products_cache_hit", w.products_hit},
      {"initrd_cache_hit", w.initrd.cache_hit},
      {"release_sha256", w.compose.compose.release_sha256},
      {"spec", spec_record},
      {"usr",
       {{"erofs_uuid", w.pack.uuid.ToString()},
        {"root_hash", HexEncode(w.seal.root_hash)},
        {"salt", HexEncode(VeritySalt(s.name, s.version))},
        {"verity_uuid", VeritySuperblockUuid(s.name, s.version).ToString()}}},
      {"uki",
       {{"file", UkiFileName(s.version, s.update.boot_tries)},
        {"cmdline", w.uki.cmdline},
        {"pcr11", pcr}}},
      {"initrd_modules", w.initrd.modules.paths},
      {"initrd_builtin", w.initrd.modules.builtin},
      {"initrd_absent", w.initrd.modules.absent},
      {"sizes",
       {{"usr_tree_bytes", w.compose.shape.usr_bytes_after},
        {"usr_erofs_bytes", w.pack.image_bytes},
        {"verity_bytes", w.seal.verity_bytes},
        {"initrd_bytes", w.initrd.bytes},
        {"uki_bytes", w.uki.bytes},
        {"esp_content_bytes", w.esp_bytes},
        {"partition_esp", w.sizes.esp},
        {"partition_usr", w.sizes.usr},
        {"partition_verity", w.sizes.verity},
        {"partition_signature", w.sizes.signature},
        {"partition_root", w.sizes.root}}},
      {"stage_seconds", stages},
      {"outputs", outputs},
  };
}

std::string Summary(const BuildResult& r) {
  const auto& m = r.manifest;
  std::string s = fmt::format("Built {} {} into {}\n", m["name"].get<std::string>(),
                              m["version"].get<std::string>(), r.out_dir);
  if (m["insecure_dev_keys"].get<bool>())
    s += "  WARNING: signed with throwaway development keys\n";
  s += fmt::format("  kernel      {}\n", m["kernel"].get<std::string>());
  s += fmt::format("  packages    {} (compose cache {}, usr products {})\n",
                   m["packages"].get<size_t>(), m["compose_cache_hit"].get<bool>() ? "hit" : "miss",
                   m.value("products_cache_hit", false) ? "hit" : "miss");
  s += fmt::format("  /usr        {:.1f} MiB in files, erofs {:.1f} MiB\n",
                   m["sizes"]["usr_tree_bytes"].get<double>() / (1 << 20),
                   m["sizes"]["usr_erofs_bytes"].get<double>() / (1 << 20));
  s += fmt::format("  root hash   {}\n", m["usr"]["root_hash"].get<std::string>());
  for (const auto& [phase, v] : m["uki"]["pcr11"].items()) {
    s += fmt::format("  PCR 11      {} ({})\n", v.get<std::string>(), phase);
  }
  for (const auto& [name, v] : m["outputs"].items()) {
    s += fmt::format("  {:<40} {}\n", name, v["sha256"].get<std::string>().substr(0, 16));
  }
  s += "  stages     ";
  double total = 0;
  for (const auto& [name, secs] : r.stage_seconds) {
    s += fmt::format(" {} {:.1f}s", name, secs);
    total += secs;
  }
  s += fmt::format("; total {:.1f}s\n", total);
  return s;
}

}  // namespace hull::build
