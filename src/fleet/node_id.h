// Node identity for FleetLock: an application-specific id derived from
// /etc/machine-id, so the raw machine id never leaves the node (Zincati does
// the same, REFERENCE.md §2.1 and Zincati docs/usage/agent-identity.md).
//
// The derivation is systemd's sd_id128_get_machine_app_specific():
//   HMAC-SHA256(key = machine id (16 bytes), data = app id (16 bytes)),
//   first 16 bytes, with the UUID v4 version and variant bits set,
// printed as 32 lowercase hex digits (what `systemd-id128 machine-id -a APP`
// prints).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::fleet {

// Hull's FleetLock application id (made with `systemd-id128 new`).
inline constexpr std::string_view kHullFleetAppId = "72de3d86d825400388883773c712b687";

// Both inputs are 32 hex digits (dashes of the UUID form are accepted).
// Errors: kInvalidArgument naming the malformed input.
Result<std::string> AppSpecificId(std::string_view machine_id, std::string_view app_id);

// Reads machine_id_path (first line, 32 hex digits) and derives the id.
// Errors: kNotFound/kIo from reading, kInvalidArgument when malformed.
Result<std::string> NodeIdFromMachineId(const std::string& machine_id_path = "/etc/machine-id",
                                        std::string_view app_id = kHullFleetAppId);

}  // namespace hull::fleet
