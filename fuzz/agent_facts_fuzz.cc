// hull-agent's parsers of what a node exposes: mountinfo, lockdown, efivars,
// dm-verity tables, meminfo, systemd-analyze output, kernel log, /etc/machine-id, device-mapper
// ioctl answers and the agent's state file (agent/facts.h, agent/dm_status.h, agent/state.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/dm_status.h"
#include "agent/facts.h"
#include "agent/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::agent;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = ParseMountInfo(text);
  if (m.ok()) (void)FindMount(*m, "/usr");
  (void)ParseLockdown(text);
  (void)ParseSecureBootVariable(hull::ByteSpan(data, size));
  (void)VerityTableRootHash(text);
  (void)MemoryInUse(text);
  (void)ParseStartupSeconds(text);
  (void)SelinuxDenials(text);
  (void)ParseDmTargetAnswer(hull::ByteSpan(data, size));
  (void)ParseMachineId(text);
  auto state = ParseAgentState(text, "fuzz.json");
  if (state.ok()) (void)ParseAgentState(AgentStateText(*state), "again.json").value();
  return 0;
}
