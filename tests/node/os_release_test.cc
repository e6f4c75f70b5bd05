// The os-release codec (node/os_release.h, rules in docs/node.md).
#include "node/os_release.h"

#include <gtest/gtest.h>

namespace hull::node {
namespace {

struct Row {
  const char* text;
  const char* key;
  std::optional<std::string> want;
};

TEST(OsRelease, Values) {
  const Row rows[] = {
      // plain, quoted, and the three quoting styles of os-release(5)
      {"ID=hull\n", "ID", "hull"},
      {"IMAGE_VERSION=\"202611.25.0\"\n", "IMAGE_VERSION", "202611.25.0"},
      {"NAME='Hull OS'\n", "NAME", "Hull OS"},
      {"PRETTY_NAME=\"Hull \\\"edge\\\" \\$HOME \\`x\\` \\\\ \\n\"", "PRETTY_NAME",
       "Hull \"edge\" $HOME `x` \\ \\n"},
      {"A='no \\escapes \"here\"'", "A", "no \\escapes \"here\""},
      {"A=Hull\\ OS", "A", "Hull OS"},
      {"A=\"con\"'cat'enated", "A", "concatenated"},
      // blanks: around the key and before the value dropped, inside kept,
      // trailing dropped; CRLF line ends
      {"  A = b c  \n", "A", "b c"},
      {"A=\"  b  \"  \n", "A", "  b  "},
      {"A=b\r\nB=c\r\n", "A", "b"},
      // empty values are values
      {"A=\nB=x", "A", ""},
      {"A=\"\"", "A", ""},
      // the last assignment wins, as sourcing the file does
      {"VERSION_ID=1\nVERSION_ID=2\n", "VERSION_ID", "2"},
      // comments ('#' or ';' where a key would start) and text without '='
      // are skipped
      {"# A=1\n  # A=2\nA=3", "A", "3"},
      {"#A=1\n", "A", std::nullopt},
      {"; A=1\nA=2", "A", "2"},
      {"A=1 # not a comment", "A", "1 # not a comment"},
      {"A\nB=1\n", "A", std::nullopt},
      {"A\nB=1\n", "B", "1"},
      {"1A=x\n", "1A", std::nullopt},
      {"A-B=x\n", "A-B", std::nullopt},
      {"A B=x\n", "A B", std::nullopt},
      {"=x\nA=1", "A", "1"},
      // quoted pieces span lines; so does a value whose line ends in '\'
      {"PRETTY_NAME=\"Hull\nOS\"\nID=hull\n", "PRETTY_NAME", "Hull\nOS"},
      {"PRETTY_NAME=\"Hull\nOS\"\nID=hull\n", "ID", "hull"},
      {"A='x\n# still the value'\n", "A", "x\n# still the value"},
      {"A=\"x\nB=1\"\n", "B", std::nullopt},
      {"A=one\\\ntwo\nB=1", "A", "onetwo"},
      {"A=\"one\\\ntwo\"", "A", "onetwo"},
      // an unterminated quote runs to the end of the text, so it takes the
      // assignments after it, and a trailing '\' is dropped
      {"A=\"open\nB=1\n", "A", "open\nB=1\n"},
      {"A=\"open\nB=1\n", "B", std::nullopt},
      {"A='open", "A", "open"},
      {"VERSION_ID=1\nVERSION_ID=\"unterminated\n", "VERSION_ID", "unterminated\n"},
      {"A=trailing\\", "A", "trailing"},
      {"A=\"x\\", "A", "x"},
      // blanks after a closing quote are dropped; quotes after unquoted text
      // are ordinary characters
      {"A=\"x\" y", "A", "xy"},
      {"A=\"x\"  \nB=1", "A", "x"},
      {"A=x\"y z\"", "A", "x\"y z\""},
      {"ID=hull\n", "IMAGE_ID", std::nullopt},
      // a key is a whole name, not a prefix
      {"IMAGE_VERSION_X=1\n", "IMAGE_VERSION", std::nullopt},
      {"", "ID", std::nullopt},
  };
  for (const Row& r : rows) EXPECT_EQ(OsReleaseValue(r.text, r.key), r.want) << r.text;
}

TEST(OsRelease, ValueSpanningLinesHidesTheAssignmentsInIt) {
  OsRelease all = ParseOsRelease("A=\"x\nB=1\"\nC=2\n");
  EXPECT_EQ(all, (OsRelease{{"A", "x\nB=1"}, {"C", "2"}}));
}

TEST(OsRelease, NulEndsTheText) {
  EXPECT_EQ(ParseOsRelease(std::string_view("A=1\0B=2", 7)), (OsRelease{{"A", "1"}}));
}

TEST(OsRelease, ParsesEveryAssignment) {
  OsRelease all = ParseOsRelease("NAME=Hull\nID=hull\n\nVARIANT_ID=immutable\nID=again\n");
  EXPECT_EQ(all, (OsRelease{{"ID", "again"}, {"NAME", "Hull"}, {"VARIANT_ID", "immutable"}}));
}

}  // namespace
}  // namespace hull::node

// Debian's release numbers (debian-version(5), www.debian.org/releases).
TEST(SysextLevel, IsTheDebianMajorRelease) {
  EXPECT_EQ(hull::node::SysextLevelForSuite("bookworm"), "12");
  EXPECT_EQ(hull::node::SysextLevelForSuite("trixie"), "13");
  EXPECT_EQ(hull::node::SysextLevelForSuite("sid"), "");
  EXPECT_EQ(hull::node::SysextLevelForSuite(""), "");
}
