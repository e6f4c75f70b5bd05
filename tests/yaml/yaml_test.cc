// The shared strict YAML reader: positions, key checks, typed scalars.
#include "yaml/reader.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::yaml {
namespace {

YAML::Node Doc(const Reader& r, const std::string& text) {
  auto n = r.Load(text);
  EXPECT_OK(n);
  return n.ok() ? *n : YAML::Node();
}

template <typename T>
void ExpectError(const Result<T>& s, const std::string& message) {
  ASSERT_ERROR(s, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message(), message);
}

TEST(YamlReader, SyntaxErrorsCarryTheirPosition) {
  Reader r("f.yaml");
  auto n = r.Load("a: [1, 2\nb: 3\n");
  ASSERT_ERROR(n, ErrorCode::kInvalidArgument);
  // yaml-cpp notices the unclosed flow at the ':' of "b: 3" (0-based 1:1).
  EXPECT_EQ(n.error().message(), "f.yaml:2:2: YAML syntax: end of sequence flow not found");
}

TEST(YamlReader, FindKeyIssueReportsTheFirstProblemInDocumentOrder) {
  Reader r("f.yaml");
  const YAML::Node ok = Doc(r, "a: 1\nb: 2\n");
  EXPECT_FALSE(FindKeyIssue(ok, {"a", "b", "c"}).has_value());

  const YAML::Node unknown = Doc(r, "a: 1\nzz: 2\na: 3\n");
  auto u = FindKeyIssue(unknown, {"a", "b"});
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->kind, KeyIssue::kUnknown);
  EXPECT_EQ(u->name, "zz");
  EXPECT_EQ(u->key.Mark().line, 1);
  EXPECT_EQ(u->value.Mark().column, 4);

  const YAML::Node dup = Doc(r, "a: 1\nb: 2\na: 3\n");
  auto d = FindKeyIssue(dup, {"a", "b"});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, KeyIssue::kDuplicate);
  EXPECT_EQ(d->name, "a");
  EXPECT_EQ(d->key.Mark().line, 2);

  const YAML::Node complex = Doc(r, "? [x]\n: 1\n");
  auto c = FindKeyIssue(complex, {"a"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, KeyIssue::kNotAName);
}

TEST(YamlReader, CheckKeysNamesWhatIsAllowed) {
  Reader r("f.yaml");
  const YAML::Node m = Doc(r, "x: 1\n  # c\ncolour: red\n");
  ExpectError(r.CheckKeys(m, "the thing", {"x", "y"}),
              "f.yaml:3:1: unknown key 'colour' in the thing (allowed: x, y)");
  const YAML::Node d = Doc(r, "x: 1\nx: 2\n");
  ExpectError(r.CheckKeys(d, "the thing", {"x"}), "f.yaml:2:1: duplicate key 'x' in the thing");
  const YAML::Node k = Doc(r, "{[1]: 2}\n");
  ExpectError(r.CheckKeys(k, "the thing", {"x"}),
              "f.yaml:1:2: keys of the thing must be names, got a list");
}

TEST(YamlReader, TypedValues) {
  Reader r("f.yaml");
  const YAML::Node m = Doc(r, "s: v\nl: [a, b]\nm: {k: v}\ne:\nc: raw\n");
  EXPECT_EQ(*r.Scalar(m["s"], m.Mark(), "s"), "v");
  ExpectError(r.Scalar(m["m"], m.Mark(), "m"), "f.yaml:3:4: 'm' must be a scalar, got a map");
  // yaml-cpp marks an empty value at the token after it ("c" on line 5).
  ExpectError(r.Scalar(m["e"], Reader::MarkOf(m, "e"), "e"),
              "f.yaml:5:1: 'e' must be a scalar, got an empty value");
  EXPECT_EQ(*r.ScalarList(m["l"], m.Mark(), "l"), (std::vector<std::string>{"a", "b"}));
  ExpectError(r.ScalarList(m["s"], m.Mark(), "s"),
              "f.yaml:1:4: 's' must be a list of scalars, got a scalar");
  ExpectError(r.ExpectMap(m["l"], m.Mark(), "l"), "f.yaml:2:4: 'l' must be a map, got a list");
  EXPECT_EQ(*r.Choice(m["c"], m.Mark(), "c", {"qcow2", "raw"}), 1u);
  ExpectError(r.Choice(m["s"], m.Mark(), "output", {"raw", "vhd"}),
              "f.yaml:1:4: bad output 'v' (allowed: raw, vhd)");
  // A node without a position: the fallback's, or none at all.
  EXPECT_EQ(r.At(m["missing"], m.Mark(), "needed").message(), "f.yaml:1:1: needed");
  EXPECT_EQ(r.At(YAML::Node(), "needed").message(), "f.yaml: needed");
}

}  // namespace
}  // namespace hull::yaml
