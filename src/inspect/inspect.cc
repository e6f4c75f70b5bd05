#include "inspect/inspect.h"

#include "base/file.h"
#include "gpt/gpt.h"
#include "gpt/types.h"
#include "inspect/esp.h"
#include "inspect/slots.h"

namespace hull::inspect {

bool Report::good() const {
  for (const auto& c : checks)
    if (c.state == CheckState::kFail) return false;
  return true;
}

Result<Report> InspectImage(const std::string& path, const Options& options) {
  HULL_ASSIGN_OR_RETURN(File disk, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(gpt::FileSource src, gpt::FileSource::Open(disk));
  HULL_ASSIGN_OR_RETURN(gpt::Table table, gpt::ReadAuto(src).Context("reading GPT of " + path));
  Report r;
  r.image = path;
  r.sector_size = table.sector_size;
  r.disk_bytes = src.size();
  r.disk_guid = table.disk_guid.ToString();
  for (const gpt::Partition& p : table.partitions) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(p.type);
    r.partitions.push_back({p.number, t ? std::string(t->name) : p.type.ToString(),
                            p.type.ToString(), p.name, p.uuid.ToString(),
                            p.first_lba * table.sector_size, p.sectors() * table.sector_size,
                            p.attributes});
  }
  r.checks.push_back(
      {"gpt", CheckState::kPass,
       fmt::format("{} partitions, primary and backup headers valid", table.partitions.size())});
  InspectSlots(disk, table, r, options);
  InspectEsp(path, r, options);
  return r;
}

}  // namespace hull::inspect
