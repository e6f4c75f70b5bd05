// The one set-up of the delta tests: a temporary directory holding OLD
// (real-ish bytes) and NEW (OLD edited as a package change edits), both in
// memory and as files. Each test adds what it builds from them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/file.h"
#include "support/status_matchers.h"
#include "test_data.h"

namespace hull::delta::testing {

class OldNewTest : public ::testing::Test {
 protected:
  explicit OldNewTest(size_t old_size = 6u << 20) : old_size_(old_size) {}
  void SetUp() override {
    auto d = TempDir::Create("delta");
    ASSERT_OK(d);
    dir_ = d->Release();
    old_ = RealishData(old_size_);
    new_ = Edited(old_);
    old_path_ = Put(dir_, "old", old_);
    new_path_ = Put(dir_, "new", new_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  size_t old_size_;
  std::string dir_, old_path_, new_path_;
  Bytes old_, new_;
};

}  // namespace hull::delta::testing
