// Runs external programs: an argv vector (never a shell), a timeout, captured
// stdout and stderr. Failures map to distinct errors:
//   kNotFound       the program is not on PATH (names the Debian package hint)
//   kTimeout        killed after the deadline (whole process group)
//   kProcessFailed  exited non-zero or died by a signal; the message carries
//                   the tail of stderr
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"

namespace hull {

struct Command {
  std::vector<std::string> argv;
  // "NAME=value" entries added to (or replacing in) the inherited environment.
  std::vector<std::string> env;
  std::string cwd;
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::string stdin_data;
  // When set, stdout goes to this file instead of being captured.
  std::string stdout_path;
  // A hint shown when the program is missing, e.g. "apt-get install cryptsetup-bin".
  std::string install_hint;
};

struct ProcessOutput {
  int exit_code = 0;    // valid when !signaled
  int term_signal = 0;  // non-zero when killed by a signal
  std::string out;
  std::string err;
};

// Runs and waits; the error cases above. A non-zero exit is an error.
Result<ProcessOutput> Run(const Command& cmd);
// Runs and waits; a non-zero exit is returned in ProcessOutput, not an error.
Result<ProcessOutput> RunAllowFailure(const Command& cmd);

// "cmd arg 'arg with space'" for messages and logs.
std::string ShellQuote(const std::vector<std::string>& argv);

// Looks a program up on PATH; empty when absent.
std::string FindProgram(const std::string& name);

}  // namespace hull
