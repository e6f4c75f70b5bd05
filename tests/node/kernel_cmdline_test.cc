// The kernel command line codec (node/kernel_cmdline.h, rules in docs/node.md).
#include "node/kernel_cmdline.h"

#include <gtest/gtest.h>

namespace hull::node {
namespace {

using P = CmdlineParam;

struct SplitRow {
  const char* text;
  std::vector<CmdlineParam> want;
};

TEST(KernelCmdline, SplitsAsTheKernel) {
  const SplitRow rows[] = {
      {"", {}},
      {" \t\n ", {}},
      {"ro", {P{"ro", std::nullopt}}},
      {"  a=1\tb=\"x y\"  c\n", {P{"a", "1"}, P{"b", "x y"}, P{"c", std::nullopt}}},
      {"a= b", {P{"a", ""}, P{"b", std::nullopt}}},
      {"a=\"\"", {P{"a", ""}}},
      {"a=\"", {P{"a", ""}}},
      // a quote opening the parameter, and its last character when '"'
      {"\"a=x y\" z", {P{"a", "x y"}, P{"z", std::nullopt}}},
      {"\"flag\"", {P{"flag", std::nullopt}}},
      // the first '=' splits; later ones belong to the value
      {"root=PARTUUID=ab=cd", {P{"root", "PARTUUID=ab=cd"}}},
      // quotes inside a word toggle grouping but stay
      {"a=x\"y z\"w", {P{"a", "x\"y z\"w"}}},
      {"a\"b c\"", {P{"a\"b c\"", std::nullopt}}},
      // an unterminated quote runs to the end
      {"a=\"x y", {P{"a", "x y"}}},
      // all of the kernel's blanks separate
      {"a\vb\fc\rd",
       {P{"a", std::nullopt}, P{"b", std::nullopt}, P{"c", std::nullopt}, P{"d", std::nullopt}}},
      // "--" is a word like any other
      {"a -- b=1", {P{"a", std::nullopt}, P{"--", std::nullopt}, P{"b", "1"}}},
  };
  for (const SplitRow& r : rows) EXPECT_EQ(SplitCmdline(r.text), r.want) << r.text;
}

struct ValueRow {
  const char* text;
  const char* key;
  std::optional<std::string> want;
};

TEST(KernelCmdline, LastValueWins) {
  const ValueRow rows[] = {
      {"a=1 usrhash=ab b usrhash=cd\n", "usrhash", "cd"},
      {"usrhash=ab usrhash", "usrhash", "ab"},  // a bare key has no value
      {"usrhash", "usrhash", std::nullopt},
      {"usrhashx=1 xusrhash=2", "usrhash", std::nullopt},
      {"usrhash=", "usrhash", ""},
      {"usrhash=\"ab\"", "usrhash", "ab"},
      {"init=\"/sbin/my init\" ro", "init", "/sbin/my init"},
      {"hull.disk-timeout=5", "hull.disk_timeout", std::nullopt},  // no '-'/'_' folding
      {"", "usrhash", std::nullopt},
  };
  for (const ValueRow& r : rows) EXPECT_EQ(CmdlineValue(r.text, r.key), r.want) << r.text;
}

}  // namespace
}  // namespace hull::node
