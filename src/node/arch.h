// A node's architecture under its names, one table for every reader: the
// kernel's (uname(2) `machine`: "x86_64", "aarch64"), Debian's ("amd64",
// "arm64": image specs, release targets' custom "arch", the agent's node
// facts), the DPS's (gpt::Arch: partition types, extension images), and
// UEFI's: the COFF Machine of its EFI binaries (the UKI, the boot loader;
// src/pe reads and checks it) and the removable-media boot file the
// firmware starts (UEFI 2.10 §3.5.1.1, \EFI\BOOT\<it>).
// hull-agent asks it which releases and extensions fit the machine it runs
// on; the build and `hull update apply` ask it what a spec or a disk is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "gpt/types.h"

namespace hull::node {

struct ArchNames {
  std::string_view machine;              // uname -m
  std::string_view debian;               // dpkg --print-architecture
  gpt::Arch gpt;                         // the DPS architecture (gpt::ArchName: "x86-64", "arm64")
  uint16_t coff_machine;                 // "PE Format", Machine Types: 0x8664, 0xAA64
  std::string_view removable_boot_file;  // "BOOTX64.EFI", "BOOTAA64.EFI"
};

// Every architecture Hull builds and runs on (amd64, arm64).
std::span<const ArchNames> AllArches();

// By each name; nullptr for an architecture Hull does not know (a node on
// one runs no release: no target names it).
const ArchNames* ArchOfMachine(std::string_view machine);
const ArchNames* ArchOfDebian(std::string_view debian);
const ArchNames* ArchOfGpt(gpt::Arch arch);
const ArchNames* ArchOfCoffMachine(uint16_t machine);
const ArchNames* ArchOfRemovableBootFile(std::string_view file);

// The Debian name of a kernel machine name: the table's, else the machine
// name itself (so a node on an unknown machine matches no release rather
// than another architecture's).
std::string_view DebianArchOfMachine(std::string_view machine);

// This machine's uname(2) `machine` ("" when uname fails).
std::string NativeMachine();

}  // namespace hull::node
