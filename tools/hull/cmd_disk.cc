// hull disk create, hull disk iso
#include <cstdio>

#include "agent/seed.h"
#include "base/file.h"
#include "cli.h"
#include "crypto/key.h"
#include "disk/image.h"
#include "disk/iso.h"
#include "disk/vhd.h"
#include "gpt/attributes.h"
#include "gpt/types.h"

namespace hull::cli {
namespace {

struct DiskArgs {
  std::string layout, out, format = "raw";
  uint32_t sector_size = 0;
  bool json = false;
};

nlohmann::json TableJson(const gpt::Table& t) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : t.partitions) {
    const gpt::PartitionType* type = gpt::LookupTypeGuid(p.type);
    parts.push_back({{"number", p.number},
                     {"type", p.type.ToString()},
                     {"type_name", type ? std::string(type->name) : ""},
                     {"uuid", p.uuid.ToString()},
                     {"label", p.name},
                     {"first_lba", p.first_lba},
                     {"last_lba", p.last_lba},
                     {"size", p.sectors() * t.sector_size},
                     {"attributes", fmt::format("0x{:016x}", p.attributes)},
                     {"flags", gpt::AttributeNames(p.attributes)},
                     {"priority", gpt::Priority(p.attributes)},
                     {"tries", gpt::Tries(p.attributes)},
                     {"successful", gpt::Successful(p.attributes)}});
  }
  return {{"sector_size", t.sector_size},
          {"disk_guid", t.disk_guid.ToString()},
          {"first_usable_lba", t.first_usable_lba},
          {"last_usable_lba", t.last_usable_lba},
          {"partitions", parts}};
}

int RunCreate(const DiskArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(disk::Layout layout, disk::LoadLayout(a.layout));
    disk::CreateOptions o;
    o.out = a.out;
    HULL_ASSIGN_OR_RETURN(o.format, disk::ParseOutputFormat(a.format));
    o.sector_size = a.sector_size;
    // Unset: a fixed time (2000-01-01, the VHD epoch) keeps outputs reproducible.
    int64_t epoch = crypto::SourceDateEpoch();
    o.source_date_epoch = epoch >= 0 ? epoch : int64_t(disk::kVhdEpochUnix);
    auto t0 = std::chrono::steady_clock::now();
    HULL_ASSIGN_OR_RETURN(disk::CreateResult r, disk::CreateDisk(layout, o));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (a.json) {
      nlohmann::json j = TableJson(r.table);
      j["path"] = a.out;
      j["format"] = a.format;
      j["virtual_size"] = r.virtual_size;
      j["file_size"] = r.file_size;
      j["allocated"] = r.allocated;
      j["seconds"] = secs;
      PrintJson(j);
      return Ok();
    }
    std::printf("%s: %s, %llu bytes virtual, %llu allocated, disk GUID %s\n", a.out.c_str(),
                a.format.c_str(), (unsigned long long)r.virtual_size,
                (unsigned long long)r.allocated, r.table.disk_guid.ToString().c_str());
    for (const auto& p : r.table.partitions) {
      const gpt::PartitionType* type = gpt::LookupTypeGuid(p.type);
      std::printf("  %2u  %-24s %-36s %10llu MiB  %s\n", p.number,
                  type ? std::string(type->name).c_str() : p.type.ToString().c_str(),
                  p.uuid.ToString().c_str(),
                  (unsigned long long)(p.sectors() * r.table.sector_size >> 20), p.name.c_str());
    }
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("disk create"));
}

struct IsoArgs {
  std::string image, out, volume_id, seed;
  bool json = false;
};

// The seed file's text once the installer's own rules accept it (the
// installer checks it again on the node): a seed it would refuse is refused
// here, before the medium is written.
Result<std::string> ReadSeed(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, node::kMaxSeedBytes).Context("seed"));
  if (text.find('\0') != std::string::npos)
    return Errorf(ErrorCode::kInvalidArgument,
                  "seed {}: holds a NUL byte (the installer would stop reading there); write "
                  "the seed as JSON text",
                  path);
  auto seed = agent::ParseSeed(text);
  if (!seed.ok()) return std::move(seed).error().Wrap(path);
  return text;
}

int RunIso(const IsoArgs& a) {
  auto run = [&]() -> Status {
    int64_t epoch = crypto::SourceDateEpoch();
    std::string seed;
    if (!a.seed.empty()) {
      HULL_ASSIGN_OR_RETURN(seed, ReadSeed(a.seed));
    }
    HULL_ASSIGN_OR_RETURN(disk::IsoResult r,
                          disk::MakeIso(a.image, {.out = a.out,
                                                  .volume_id = a.volume_id,
                                                  .source_date_epoch = epoch >= 0 ? epoch : 0,
                                                  .seed = seed}));
    if (a.json) {
      nlohmann::json j = TableJson(r.table);
      j["path"] = a.out;
      j["file_size"] = r.file_size;
      j["allocated"] = r.allocated;
      j["el_torito_boot_block"] = r.boot_block;
      PrintJson(j);
      return Ok();
    }
    std::printf("%s: hybrid ISO, %llu bytes, %llu allocated, EFI boot image at block %u\n",
                a.out.c_str(), (unsigned long long)r.file_size, (unsigned long long)r.allocated,
                r.boot_block);
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("disk iso"));
}

}  // namespace

void RegisterDisk(CLI::App& app, Context& ctx) {
  auto* disk = app.add_subcommand("disk", "GPT disk images from a layout");
  disk->require_subcommand(1);
  auto a = std::make_shared<DiskArgs>();
  auto* create = disk->add_subcommand("create", "Write a GPT disk image described by LAYOUT");
  create->add_option("LAYOUT", a->layout, "Layout YAML (see docs/disk.md)")->required();
  create->add_option("--out", a->out, "Output image (replaced atomically)")->required();
  create->add_option("--format", a->format, "raw (default), vhd (fixed, Azure), qcow2, vhdx")
      ->check(CLI::IsMember({"raw", "vhd", "qcow2", "vhdx"}));
  create
      ->add_option("--sector-size", a->sector_size,
                   "Logical sector size: 512 or 4096 (default: the layout's, else 512)")
      ->check(CLI::IsMember({512, 4096}));
  create->add_flag("--json", a->json, "Print the partition table as JSON");
  create->footer(
      "Example:\n"
      "  cat > layout.yaml <<EOF\n"
      "  seed: demo\n"
      "  partitions:\n"
      "    - {type: esp, label: ESP, size: 64MiB, content-dir: esp/, format: vfat}\n"
      "    - {type: usr, label: usr_1, content: usr.erofs, attributes: [read-only]}\n"
      "    - {type: usr-verity, label: usr_1_verity, content: usr.verity}\n"
      "  EOF\n"
      "  SOURCE_DATE_EPOCH=1700000000 hull disk create layout.yaml --out disk.vhd --format vhd\n"
      "Same layout, contents and SOURCE_DATE_EPOCH give the same bytes.");
  create->callback([&ctx, a] { ctx.action = [a] { return RunCreate(*a); }; });

  auto i = std::make_shared<IsoArgs>();
  auto* iso = disk->add_subcommand("iso", "Write the hybrid install medium of a raw IMAGE");
  iso->add_option("IMAGE", i->image, "A raw image made by 'hull build'")->required();
  iso->add_option("--out", i->out, "Output .iso (replaced atomically)")->required();
  iso->add_option("--volume-id", i->volume_id, "ISO 9660 volume id (default: from /usr's label)");
  iso->add_option("--seed", i->seed,
                  "Install seed (JSON, docs/iso.md \"The seed\") put on the medium as its "
                  "hull-seed partition: the medium then installs itself unattended")
      ->check(CLI::ExistingFile);
  iso->add_flag("--json", i->json, "Print the medium's partition table as JSON");
  iso->footer(
      "Boots UEFI from an optical drive (El Torito) and from a USB stick (GPT); docs/iso.md.\n"
      "  hull disk iso out/hull-node.raw --out hull-node.iso\n"
      "  xorriso -indev hull-node.iso -report_el_torito plain\n"
      "A medium that installs onto the machine's one empty disk and powers off:\n"
      "  echo '{\"hull_seed\": 1, \"target\": \"empty\", \"after\": \"poweroff\",\n"
      "         \"users\": [{\"name\": \"ops\", \"ssh_authorized_keys\": [\"ssh-ed25519 "
      "AAAA...\"]}]}'"
      " > seed.json\n"
      "  hull disk iso out/hull-node.raw --seed seed.json --out install.iso\n"
      "The seed is checked by the installer's rules before anything is written.");
  iso->callback([&ctx, i] { ctx.action = [i] { return RunIso(*i); }; });
}

}  // namespace hull::cli
