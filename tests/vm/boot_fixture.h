// What the boot tests share (boot_vm_test, boot_arm64_vm_test): one image
// built by `hull build` with fresh keys (hull keys init) in a temp dir, which
// the suite's tests copy, damage and boot with `hull boot --json`.
// Header-only (one test binary includes it); the tests themselves say what
// is checked.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull::vm_test {

// sh -euc SCRIPT, which must succeed.
inline void Sh(const std::string& script) {
  auto r = hull::Run(Command{.argv = {"sh", "-euc", script}, .timeout = std::chrono::minutes(5)});
  ASSERT_OK(r) << script;
}

// Its standard output ("" when it fails).
inline std::string ShOut(const std::string& script) {
  auto r = hull::Run(Command{.argv = {"sh", "-euc", script}, .timeout = std::chrono::minutes(5)});
  return r.ok() ? r->out : "";
}

inline std::string Bin() { return std::getenv("HULL_BIN"); }

// What a suite sets before BuildImage: the environment of every hull run
// (NAME=VALUE), the minutes a hull run may take unless told, and the
// `hull boot --timeout` of Boot with the minutes its run may take.
struct Settings {
  std::vector<std::string> env;
  int hull_minutes = 20;
  int boot_timeout_seconds = 900;
  int boot_minutes = 30;
};

class BuiltImageTest : public ::testing::Test {
 protected:
  // The temp dir "PREFIX-XXXXXX" and its keys/ (hull keys init).
  static void MakeDirAndKeys(const std::string& prefix, Settings settings = {}) {
    settings_ = std::move(settings);
    auto t = TempDir::Create(prefix);
    ASSERT_OK(t);
    dir_ = new TempDir(std::move(*t));
    auto k = Hull({"keys", "init", Keys()});
    ASSERT_OK(k);
    ASSERT_EQ(k->exit_code, 0) << k->err;
  }
  // `hull build SPEC --keys KEYS --out DIR/image --json EXTRA...`: image_ is
  // its .raw output, uki_ its UKI's name, manifest_ what it printed.
  static void BuildImage(const std::string& spec, const std::vector<std::string>& extra,
                         int minutes) {
    std::vector<std::string> args = {"build",          spec,    "--keys", Keys(), "--out",
                                     Dir() + "/image", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto b = Hull(args, minutes);
    ASSERT_OK(b);
    ASSERT_EQ(b->exit_code, 0) << b->err;
    manifest_ = nlohmann::json::parse(b->out);
    for (auto& [name, _] : manifest_["outputs"].items()) {
      if (name.ends_with(".raw")) image_ = Dir() + "/image/" + name;
      if (name.ends_with(".efi")) uki_ = name;
    }
    ASSERT_FALSE(image_.empty());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static Result<ProcessOutput> Hull(std::vector<std::string> args, int minutes = 0) {
    args.insert(args.begin(), Bin());
    return RunAllowFailure(
        Command{.argv = args,
                .env = settings_.env,
                .timeout = std::chrono::minutes(minutes ? minutes : settings_.hull_minutes)});
  }
  static std::string Dir() { return dir_->path(); }
  static std::string Keys() { return Dir() + "/keys"; }

  // A sparse copy of the image to damage.
  std::string Copy(const std::string& name) {
    std::string p = Dir() + "/" + name;
    Sh(fmt::format("cp --sparse=always '{}' '{}'", image_, p));
    return p;
  }
  // Byte offset of partition `n` (1-based) of `image`, as sfdisk reads it.
  uint64_t PartitionOffset(const std::string& image, int n) {
    auto j = nlohmann::json::parse(ShOut("sfdisk --json '" + image + "'"));
    return j["partitiontable"]["partitions"][n - 1]["start"].get<uint64_t>() * 512;
  }
  // `hull boot IMAGE --json --timeout T EXTRA...` (`extra`[0] is IMAGE): its
  // report, and its exit status in *exit_code.
  nlohmann::json Boot(const std::vector<std::string>& extra, int* exit_code) {
    std::vector<std::string> args = {"boot", extra[0], "--json", "--timeout",
                                     std::to_string(settings_.boot_timeout_seconds)};
    args.insert(args.end(), extra.begin() + 1, extra.end());
    auto r = Hull(args, settings_.boot_minutes);
    EXPECT_OK(r);
    if (!r.ok()) return {};
    *exit_code = r->exit_code;
    nlohmann::json j = nlohmann::json::parse(r->out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r->out << r->err;
    return j.is_object() ? j : nlohmann::json::object();
  }

  static inline Settings settings_;
  static inline TempDir* dir_ = nullptr;
  static inline std::string image_, uki_;
  static inline nlohmann::json manifest_;
};

}  // namespace hull::vm_test
