// systemd-boot boot counting names and boot order. Expected orders follow
// the Boot Loader Specification ("Boot counting"), systemd-boot's
// boot_entry_compare() and the version list of systemd's
// test_strverscmp_improved (src/test/test-string-util.c).
#include "node/boot_count.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::node {
namespace {

TEST(EntryName, ParsesCounters) {
  auto a = ParseEntryName("hull_202611.24.0+3.efi");
  ASSERT_OK(a);
  EXPECT_EQ(a->stem, "hull_202611.24.0");
  EXPECT_EQ(a->left, 3u);
  EXPECT_FALSE(a->done.has_value());
  EXPECT_EQ(a->state(), EntryState::kIndeterminate);

  auto b = ParseEntryName("hull_1+0-3.efi");
  ASSERT_OK(b);
  EXPECT_EQ(b->left, 0u);
  EXPECT_EQ(b->done, 3u);
  EXPECT_EQ(b->state(), EntryState::kBad);
  EXPECT_EQ(b->ToString(), "hull_1+0-3.efi");

  auto c = ParseEntryName("hull_1.efi");
  ASSERT_OK(c);
  EXPECT_EQ(c->state(), EntryState::kGood);
  EXPECT_EQ(c->ToString(), "hull_1.efi");

  auto d = ParseEntryName("HULL_1+2-1.EFI");  // FAT is case-insensitive
  ASSERT_OK(d);
  EXPECT_EQ(d->left, 2u);
  EXPECT_EQ(d->done, 1u);
  EXPECT_EQ(d->ToString(), "HULL_1+2-1.EFI");
}

TEST(EntryName, MalformedCounterStaysInTheName) {
  for (const char* name :
       {"a+.efi", "a+x.efi", "a+1-.efi", "a+1-x.efi", "a+-1.efi", "a+1x.efi", "a+1-2-3.efi"}) {
    auto e = ParseEntryName(name);
    ASSERT_OK(e) << name;
    EXPECT_FALSE(e->left.has_value()) << name;
    EXPECT_EQ(e->state(), EntryState::kGood) << name;
    EXPECT_EQ(e->ToString(), name);
  }
}

// Counters of digits are counters whatever their length: a tail too big for
// a number is never read as "no counter" (a good entry).
TEST(EntryName, LongCountersAreCounted) {
  struct Case {
    const char* name;
    uint32_t left;
    std::optional<uint32_t> done;
    EntryState state;
  };
  const Case cases[] = {
      {"a+0-1001.efi", 0, 1000, EntryState::kBad},
      {"a+0-99999999999999999999.efi", 0, 1000, EntryState::kBad},
      {"a+1001.efi", 1000, std::nullopt, EntryState::kIndeterminate},
      {"a+99999999999.efi", 1000, std::nullopt, EntryState::kIndeterminate},
      {"a+0000000000000000000003-1.efi", 3, 1, EntryState::kIndeterminate},
      {"a+1000-1000.efi", 1000, 1000, EntryState::kIndeterminate},
  };
  for (const Case& c : cases) {
    auto e = ParseEntryName(c.name);
    ASSERT_OK(e) << c.name;
    EXPECT_EQ(e->stem, "a") << c.name;
    EXPECT_EQ(e->left, c.left) << c.name;
    EXPECT_EQ(e->done, c.done) << c.name;
    EXPECT_EQ(e->state(), c.state) << c.name;
  }
}

TEST(EntryName, Errors) {
  auto a = ParseEntryName("hull_1+3.conf");
  ASSERT_ERROR(a, ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.error().message(), "boot entry 'hull_1+3.conf' does not end in '.efi'");
  auto b = ParseEntryName("+3.efi");
  ASSERT_ERROR(b, ErrorCode::kInvalidArgument);
  EXPECT_EQ(b.error().message(), "boot entry '+3.efi' has an empty name");
}

// The Boot Loader Specification's example: "+3" is booted as "+2-1", then
// "+1-2", "+0-3"; a bad entry booted anyway keeps LEFT at 0 and counts DONE.
TEST(EntryName, AfterTryIsSystemdBootsRename) {
  auto name = ParseEntryName("hull_202612.01.0+3.efi");
  ASSERT_OK(name);
  std::vector<std::string> seen;
  EntryName e = *name;
  for (int i = 0; i < 4; ++i) {
    e = AfterTry(e);
    seen.push_back(e.ToString());
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"hull_202612.01.0+2-1.efi", "hull_202612.01.0+1-2.efi",
                                      "hull_202612.01.0+0-3.efi", "hull_202612.01.0+0-4.efi"}));
  auto blessed = ParseEntryName("hull_202612.01.0.efi");
  ASSERT_OK(blessed);
  EXPECT_EQ(AfterTry(*blessed).ToString(), "hull_202612.01.0.efi");
}

TEST(EntryName, CountedNameMatchesTheBuild) {
  // build::UkiFileName("202611.24.0") is "hull_202611.24.0+3.efi" (src/build/plan.h).
  EXPECT_EQ(CountedName(UkiStem("202611.24.0"), 3), "hull_202611.24.0+3.efi");
  EXPECT_EQ(VersionOfStem("hull_202611.24.0"), "202611.24.0");
  EXPECT_EQ(VersionOfStem("other_1"), "");
}

// The order of systemd's test_strverscmp_improved list: each older than the next.
TEST(CompareVersions, SystemdOrder) {
  const char* ordered[] = {"ab",      "abb",      "abc",     "0001",    "002",        "12",
                           "122",     "122.9",    "123~rc1", "123",     "123-a",      "123-a.1",
                           "123-a1",  "123-a1.1", "123-3",   "123-3.1", "123^patch1", "123^1",
                           "123.a-1", "123.1-1",  "123a-1",  "124",     nullptr};
  for (int i = 0; ordered[i + 1]; ++i) {
    EXPECT_LT(CompareVersions(ordered[i], ordered[i + 1]), 0)
        << ordered[i] << " < " << ordered[i + 1];
    EXPECT_GT(CompareVersions(ordered[i + 1], ordered[i]), 0)
        << ordered[i + 1] << " > " << ordered[i];
    EXPECT_EQ(CompareVersions(ordered[i], ordered[i]), 0) << ordered[i];
  }
  EXPECT_EQ(CompareVersions("123", "0123"), 0);
  EXPECT_EQ(CompareVersions("123_a", "123a"), 0);  // '_' is skipped
  EXPECT_LT(CompareVersions("hull_202611.24.0", "hull_202612.01.0"), 0);
  EXPECT_LT(CompareVersions("hull_202611.24.9", "hull_202611.24.10"), 0);
}

// Found by fuzz_slot: NUL bytes once counted as version characters (strchr
// matches the terminator) and the comparison never advanced.
TEST(CompareVersions, NulBytesAreSkipped) {
  EXPECT_EQ(CompareVersions(std::string_view("\x04\0", 2), std::string_view("\0\0", 2)), 0);
  EXPECT_LT(CompareVersions(std::string_view("1\0", 2), std::string_view("2", 1)), 0);
}

std::vector<std::string> Order(std::vector<std::string> files) {
  std::vector<EntryName> names;
  for (const auto& f : files) names.push_back(*ParseEntryName(f));
  std::vector<std::string> out;
  for (size_t i : BootOrder(names)) out.push_back(files[i]);
  return out;
}

TEST(BootOrder, NewestFirstBadLast) {
  EXPECT_EQ(Order({"hull_202611.24.0.efi", "hull_202612.01.0+3.efi"}),
            (std::vector<std::string>{"hull_202612.01.0+3.efi", "hull_202611.24.0.efi"}));
  // The new entry used all its tries: the blessed old one boots.
  EXPECT_EQ(Order({"hull_202612.01.0+0-3.efi", "hull_202611.24.0.efi"}),
            (std::vector<std::string>{"hull_202611.24.0.efi", "hull_202612.01.0+0-3.efi"}));
  // Still on trial with tries left: it stays first.
  EXPECT_EQ(Order({"hull_202611.24.0.efi", "hull_202612.01.0+1-2.efi"}),
            (std::vector<std::string>{"hull_202612.01.0+1-2.efi", "hull_202611.24.0.efi"}));
  // Same name: more tries left first, then fewer tries done.
  EXPECT_EQ(Order({"a+1-2.efi", "a+2-1.efi", "a+2-0.efi"}),
            (std::vector<std::string>{"a+2-0.efi", "a+2-1.efi", "a+1-2.efi"}));
  // Both bad: version order among them.
  EXPECT_EQ(Order({"hull_1+0.efi", "hull_2+0.efi"}),
            (std::vector<std::string>{"hull_2+0.efi", "hull_1+0.efi"}));
}

}  // namespace
}  // namespace hull::node
