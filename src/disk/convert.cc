#include "disk/convert.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "disk/vhd.h"

namespace hull::disk {
namespace {

using spec::OutputFormat;

bool StartsWith(ByteSpan b, std::string_view magic) {
  return b.size() >= magic.size() && std::equal(magic.begin(), magic.end(), b.begin(),
                                                [](char c, uint8_t x) { return uint8_t(c) == x; });
}

// qemu's driver names.
const char* Driver(OutputFormat f) {
  switch (f) {
    case OutputFormat::kVhd:
      return "vpc";
    case OutputFormat::kQcow2:
      return "qcow2";
    case OutputFormat::kVhdx:
      return "vhdx";
    default:
      return "raw";
  }
}

// A file name inside qemu's dotted options: a comma is written twice.
std::string OptionValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// The input half of a qemu-img command line: the file named as a plain file
// (never parsed as a protocol such as nbd: or json:), the VHD driver told to
// take the footer's current size (the header comment).
std::vector<std::string> Input(const std::string& image, OutputFormat f) {
  std::string opts = fmt::format("driver={},", Driver(f));
  if (f == OutputFormat::kVhd) opts += "force_size_calc=current_size,";
  return {"--image-opts", opts + "file.driver=file,file.filename=" + OptionValue(image)};
}

constexpr const char* kQemuHint = "apt-get install qemu-utils";

}  // namespace

OutputFormat DetectFormat(ByteSpan head, ByteSpan tail) {
  if (StartsWith(head, "QFI\xfb")) return OutputFormat::kQcow2;
  if (StartsWith(head, "vhdxfile")) return OutputFormat::kVhdx;
  if (StartsWith(head, "conectix")) return OutputFormat::kVhd;  // dynamic: a footer copy first
  if (tail.size() == kVhdFooterSize && StartsWith(tail, "conectix")) return OutputFormat::kVhd;
  return OutputFormat::kRaw;
}

Result<OutputFormat> DetectFileFormat(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  Bytes head(std::min<uint64_t>(size, 8)), tail;
  HULL_TRY(f.ReadAt(0, head));
  if (size >= kVhdFooterSize) {
    tail.resize(kVhdFooterSize);
    HULL_TRY(f.ReadAt(size - kVhdFooterSize, tail));
  }
  return DetectFormat(head, tail);
}

std::vector<std::string> QemuImgInfoArgv(const std::string& image, OutputFormat f) {
  std::vector<std::string> argv{"qemu-img", "info", "--output=json"};
  for (auto& a : Input(image, f)) argv.push_back(std::move(a));
  return argv;
}

std::vector<std::string> QemuImgToRawArgv(const std::string& image, OutputFormat f,
                                          const std::string& raw) {
  std::vector<std::string> argv{"qemu-img", "convert"};
  for (auto& a : Input(image, f)) argv.push_back(std::move(a));
  argv.insert(argv.end(), {"-O", "raw", raw});
  return argv;
}

Result<uint64_t> CheckQemuInfo(const std::string& image, OutputFormat f,
                               std::string_view info_json) {
  auto j = nlohmann::json::parse(info_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("virtual-size") ||
      !j["virtual-size"].is_number_unsigned())
    return Errorf(ErrorCode::kCorrupt, "{}: qemu-img info gave no virtual size", image);
  const std::string name = spec::OutputName(f);
  const std::string opened =
      j.contains("format") && j["format"].is_string() ? j["format"].get<std::string>() : "";
  if (opened != Driver(f))
    return Errorf(ErrorCode::kCorrupt, "{}: looks like {} but qemu-img opened it as '{}'", image,
                  name, opened);
  auto refuse = [&](std::string_view what, const nlohmann::json& v) {
    return Errorf(ErrorCode::kRefused,
                  "{}: a {} image with {} ('{}') reads another file on this host: give a "
                  "self-contained image (qemu-img convert -O {} {} flat.{})",
                  image, name, what,
                  v.is_string() ? v.get<std::string>()
                                : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  name, image, name);
  };
  if (j.contains("backing-filename")) return refuse("a backing file", j["backing-filename"]);
  if (j.contains("full-backing-filename"))
    return refuse("a backing file", j["full-backing-filename"]);
  const auto& data = j.contains("format-specific") && j["format-specific"].is_object()
                         ? j["format-specific"].value("data", nlohmann::json::object())
                         : nlohmann::json::object();
  if (data.is_object() && data.contains("data-file"))
    return refuse("an external data file", data["data-file"]);
  return j["virtual-size"].get<uint64_t>();
}

Result<RawImage> OpenAsRaw(const std::string& image, const std::string& raw_out) {
  HULL_ASSIGN_OR_RETURN(OutputFormat f, DetectFileFormat(image));
  HULL_ASSIGN_OR_RETURN(File in, File::OpenRead(image));
  HULL_ASSIGN_OR_RETURN(uint64_t file_size, in.Size());
  if (f == OutputFormat::kRaw) return RawImage{f, image, file_size};
  HULL_ASSIGN_OR_RETURN(ProcessOutput info,
                        Run(Command{.argv = QemuImgInfoArgv(image, f), .install_hint = kQemuHint})
                            .Context(fmt::format("reading {} ({})", image, spec::OutputName(f))));
  HULL_ASSIGN_OR_RETURN(uint64_t size, CheckQemuInfo(image, f, info.out));
  Bytes head(std::min<uint64_t>(file_size, 8));
  HULL_TRY(in.ReadAt(0, head));
  const bool fixed_vhd = f == OutputFormat::kVhd && !StartsWith(head, "conectix");
  if (fixed_vhd && size != file_size - kVhdFooterSize)
    return Errorf(ErrorCode::kCorrupt,
                  "{}: a fixed VHD of {} bytes whose footer says {} bytes of disk (expected {})",
                  image, file_size, size, file_size - kVhdFooterSize);
  auto conv = Run(Command{.argv = QemuImgToRawArgv(image, f, raw_out),
                          .timeout = std::chrono::minutes(30),
                          .install_hint = kQemuHint});
  auto fail = [&](Error e) -> Result<RawImage> {
    ::unlink(raw_out.c_str());
    return e;
  };
  if (!conv.ok()) return fail(std::move(conv).error().Wrap("converting " + image + " to raw"));
  auto out = File::OpenRead(raw_out);
  if (!out.ok()) return fail(std::move(out).error());
  auto got = out->Size();
  if (!got.ok()) return fail(std::move(got).error());
  if (*got != size)
    return fail(Error(ErrorCode::kCorrupt,
                      fmt::format("{}: qemu-img wrote {} bytes of raw disk, its info said {}",
                                  image, *got, size)));
  return RawImage{f, raw_out, size};
}

}  // namespace hull::disk
