// A node's architecture under its three names, one table for every reader:
// the kernel's (uname(2) `machine`: "x86_64", "aarch64"), Debian's ("amd64",
// "arm64": image specs, release targets' custom "arch", the agent's node
// facts) and the DPS's (gpt::Arch: partition types, extension images).
// hull-agent asks it which releases and extensions fit the machine it runs
// on; the build and `hull update apply` ask it what a spec or a disk is.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "gpt/types.h"

namespace hull::node {

struct ArchNames {
  std::string_view machine;  // uname -m
  std::string_view debian;   // dpkg --print-architecture
  gpt::Arch gpt;             // the DPS architecture (gpt::ArchName: "x86-64", "arm64")
};

// Every architecture Hull builds and runs on (amd64, arm64).
std::span<const ArchNames> AllArches();

// By each name; nullptr for an architecture Hull does not know (a node on
// one runs no release: no target names it).
const ArchNames* ArchOfMachine(std::string_view machine);
const ArchNames* ArchOfDebian(std::string_view debian);
const ArchNames* ArchOfGpt(gpt::Arch arch);

// The Debian name of a kernel machine name: the table's, else the machine
// name itself (so a node on an unknown machine matches no release rather
// than another architecture's).
std::string_view DebianArchOfMachine(std::string_view machine);

// This machine's uname(2) `machine` ("" when uname fails).
std::string NativeMachine();

}  // namespace hull::node
