#include "disk/layout.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "base/file.h"
#include "gpt/attributes.h"
#include "yaml/reader.h"

namespace hull::disk {
namespace {

struct Ctx {
  yaml::Reader reader;
  std::string base_dir;
  Error Err(const YAML::Node& n, std::string msg) const { return reader.At(n, std::move(msg)); }
};

Result<std::string> Scalar(const Ctx& c, const YAML::Node& n, std::string_view key) {
  return c.reader.Scalar(n, n.Mark(), key);
}

// Unknown keys are reported at their value, duplicates at the repeated key.
Status CheckKeys(const Ctx& c, const YAML::Node& map, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
  auto issue = yaml::FindKeyIssue(map, allowed);
  if (!issue) return Ok();
  switch (issue->kind) {
    case yaml::KeyIssue::kNotAName:
      return c.Err(issue->key,
                   fmt::format("keys{} must be names, got {}", where, yaml::NodeKind(issue->key)));
    case yaml::KeyIssue::kUnknown:
      return c.Err(issue->value, fmt::format("unknown key '{}'{} (allowed: {})", issue->name, where,
                                             yaml::JoinNames(allowed)));
    case yaml::KeyIssue::kDuplicate:
      break;
  }
  return c.Err(issue->key, fmt::format("duplicate key '{}'", issue->name));
}

Result<uint64_t> Integer(const Ctx& c, const YAML::Node& n, std::string_view key, uint64_t max) {
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, n, key));
  uint64_t v = 0;
  bool ok = !s.empty() && s.size() <= 19;
  for (char ch : s) ok = ok && ch >= '0' && ch <= '9', v = v * 10 + uint64_t(ch - '0');
  if (!ok || v > max)
    return c.Err(n, fmt::format("'{}' must be an integer 0..{}, got '{}'", key, max, s));
  return v;
}

Result<Uuid> UuidValue(const Ctx& c, const YAML::Node& n, std::string_view key) {
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, n, key));
  auto u = Uuid::Parse(s);
  if (!u.ok()) return c.Err(n, fmt::format("'{}': not a UUID: '{}'", key, s));
  return *u;
}

Result<uint64_t> SizeValue(const Ctx& c, const YAML::Node& n, std::string_view key) {
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, n, key));
  auto v = ParseSize(s);
  if (!v.ok()) return c.Err(n, fmt::format("'{}': {}", key, v.error().message()));
  return *v;
}

std::string Resolve(const Ctx& c, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (std::filesystem::path(c.base_dir) / p).lexically_normal().string();
}

Result<uint64_t> Attributes(const Ctx& c, const YAML::Node& n) {
  if (!n.IsSequence()) return c.Err(n, "'attributes' must be a list of flag names or bit numbers");
  uint64_t attr = 0;
  for (const auto& item : n) {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, item, "attributes"));
    if (auto flag = gpt::AttributeFlag(s)) {
      attr |= *flag;
      continue;
    }
    HULL_ASSIGN_OR_RETURN(uint64_t bit,
                          Integer(c, item, "attributes", 63)
                              .Context("allowed: required, no-block-io, legacy-bios-bootable, "
                                       "grow-fs, read-only, no-auto, or "
                                       "a bit number 0..63"));
    attr |= uint64_t(1) << bit;
  }
  return attr;
}

Status PartitionKey(const Ctx& c, const std::string& key, const YAML::Node& v, gpt::Arch arch,
                    PartitionSpec& p) {
  if (key == "type") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    auto t = gpt::ParseType(s, arch);
    if (!t.ok()) return c.Err(v, t.error().message());
    p.type = *t;
  } else if (key == "label") {
    HULL_ASSIGN_OR_RETURN(p.label, Scalar(c, v, key));
  } else if (key == "size") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    if (s == "rest") {
      p.rest = true;
    } else {
      HULL_ASSIGN_OR_RETURN(p.size, SizeValue(c, v, key));
      if (p.size == 0) return c.Err(v, "'size' must be more than 0");
    }
  } else if (key == "uuid") {
    HULL_ASSIGN_OR_RETURN(p.uuid, UuidValue(c, v, key));
  } else if (key == "attributes") {
    HULL_ASSIGN_OR_RETURN(uint64_t a, Attributes(c, v));
    p.attributes |= a;
  } else if (key == "priority" || key == "tries") {
    HULL_ASSIGN_OR_RETURN(uint64_t n, Integer(c, v, key, 15));
    p.attributes = key == "priority" ? gpt::WithPriority(p.attributes, unsigned(n))
                                     : gpt::WithTries(p.attributes, unsigned(n));
  } else if (key == "successful") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    if (s != "true" && s != "false") return c.Err(v, "'successful' must be true or false");
    p.attributes = gpt::WithSuccessful(p.attributes, s == "true");
  } else if (key == "content") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    p.content = Resolve(c, s);
  } else if (key == "content-dir") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    p.content_dir = Resolve(c, s);
  } else if (key == "format") {
    HULL_ASSIGN_OR_RETURN(p.format, Scalar(c, v, key));
    if (p.format != "vfat")
      return c.Err(v, fmt::format("unknown format '{}' (allowed: vfat)", p.format));
  } else if (key == "volume-id") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    char* end = nullptr;
    unsigned long id = std::strtoul(s.c_str(), &end, 16);
    if (s.empty() || s.size() > 8 || *end != '\0')
      return c.Err(v, fmt::format("'volume-id' must be 1-8 hex digits, got '{}'", s));
    p.volume_id = uint32_t(id);
  } else {
    return Error(ErrorCode::kInternal, "partition key '" + key + "' not handled");
  }
  return Ok();
}

Result<PartitionSpec> ParsePartition(const Ctx& c, const YAML::Node& n, gpt::Arch arch) {
  if (!n.IsMap()) return c.Err(n, "a partition must be a mapping");
  HULL_TRY(CheckKeys(c, n, " in partition",
                     {"type", "label", "size", "uuid", "attributes", "priority", "tries",
                      "successful", "content", "content-dir", "format", "volume-id"}));
  PartitionSpec p;
  p.where = c.reader.Position(n.Mark());
  for (const auto& kv : n) HULL_TRY(PartitionKey(c, kv.first.Scalar(), kv.second, arch, p));
  if (!n["type"]) return c.Err(n, "partition without 'type'");
  if (!p.content.empty() && !p.content_dir.empty())
    return c.Err(n, "'content' and 'content-dir' are exclusive");
  if (!p.content_dir.empty() && p.format.empty())
    return c.Err(n, "'content-dir' needs 'format' (allowed: vfat)");
  if (!p.format.empty() && p.content_dir.empty()) return c.Err(n, "'format' needs 'content-dir'");
  if (!p.content_dir.empty() && p.size == 0 && !p.rest)
    return c.Err(n, "a 'content-dir' partition needs a 'size'");
  if (p.content.empty() && p.content_dir.empty() && p.size == 0 && !p.rest)
    return c.Err(n, "partition needs a 'size' or a 'content'");
  return p;
}

Status TopKey(const Ctx& c, const std::string& key, const YAML::Node& v, Layout& l,
              YAML::Node& parts) {
  if (key == "size") {
    HULL_ASSIGN_OR_RETURN(l.size, SizeValue(c, v, key));
  } else if (key == "sector-size") {
    HULL_ASSIGN_OR_RETURN(uint64_t ss, Integer(c, v, key, 4096));
    if (ss != 512 && ss != 4096)
      return c.Err(v, fmt::format("sector-size {} (allowed: 512, 4096)", ss));
    l.sector_size = uint32_t(ss);
  } else if (key == "uuid") {
    HULL_ASSIGN_OR_RETURN(l.disk_guid, UuidValue(c, v, key));
  } else if (key == "seed") {
    HULL_ASSIGN_OR_RETURN(l.seed, Scalar(c, v, key));
  } else if (key == "arch") {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(c, v, key));
    auto a = gpt::ParseArch(s);
    if (!a.ok()) return c.Err(v, a.error().message());
    l.arch = *a;
  } else if (key == "partitions") {
    if (!v.IsSequence() || v.size() == 0) return c.Err(v, "'partitions' must be a non-empty list");
    parts = v;
  } else {
    return Error(ErrorCode::kInternal, "layout key '" + key + "' not handled");
  }
  return Ok();
}

Result<Layout> ParseRoot(const Ctx& c, const YAML::Node& root) {
  if (!root.IsMap()) return c.Err(root, "the layout must be a mapping with 'partitions'");
  HULL_TRY(CheckKeys(c, root, "", {"size", "sector-size", "uuid", "seed", "arch", "partitions"}));
  Layout l;
  YAML::Node parts;
  // 'arch' first: type names depend on it.
  if (root["arch"]) HULL_TRY(TopKey(c, "arch", root["arch"], l, parts));
  for (const auto& kv : root) HULL_TRY(TopKey(c, kv.first.Scalar(), kv.second, l, parts));
  if (!parts) return c.Err(root, "missing 'partitions'");
  for (size_t i = 0; i < parts.size(); ++i) {
    HULL_ASSIGN_OR_RETURN(PartitionSpec p, ParsePartition(c, parts[i], l.arch));
    if (p.rest && (i + 1 != parts.size() || !l.size))
      return c.Err(static_cast<const YAML::Node&>(parts)[i]["size"],
                   "'size: rest' is allowed only on the last partition of a disk with a 'size'");
    l.partitions.push_back(std::move(p));
  }
  return l;
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (!CheckedMul(v, 10, &v) || !CheckedAdd(v, uint64_t(text[i] - '0'), &v))
      return Errorf(ErrorCode::kInvalidArgument, "size '{}' overflows", text);
    ++i;
  }
  std::string_view unit = text.substr(i);
  int shift = -1;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KiB")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (unit == "T" || unit == "TiB")
    shift = 40;
  if (i == 0 || shift < 0)
    return Errorf(ErrorCode::kInvalidArgument,
                  "bad size '{}' (allowed: a number with an optional unit B, KiB, MiB, GiB, "
                  "TiB or K, M, G, T; binary units)",
                  text);
  if (shift && (v >> (64 - shift)) != 0)
    return Errorf(ErrorCode::kInvalidArgument, "size '{}' overflows", text);
  return v << shift;
}

Result<Layout> ParseLayout(std::string_view yaml, std::string_view file_name,
                           const std::string& base_dir) {
  Ctx c{yaml::Reader(std::string(file_name)), base_dir};
  HULL_ASSIGN_OR_RETURN(YAML::Node root, c.reader.Load(yaml));
  try {
    return ParseRoot(c, root);
  } catch (const YAML::Exception& e) {
    return c.reader.AtMark(e.mark, "YAML: " + e.msg);
  }
}

Result<Layout> LoadLayout(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, 1 << 20));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseLayout(text, path, dir.empty() ? "." : dir);
}

}  // namespace hull::disk
