#include "build/preload.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "container/build.h"
#include "container/spec.h"
#include "node/preload.h"
#include "oci/read.h"

namespace hull::build {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

constexpr char kAnnotationContainerdName[] = "io.containerd.image.name";

struct Loaded {
  oci::Layout layout;
  oci::Descriptor image;
  std::vector<std::string> run;
};

Result<Loaded> Load(const spec::Preload& p, const PreloadOptions& o, const spec::ImageSpec& s,
                    size_t i) {
  Loaded out;
  if (p.kind == spec::Preload::Kind::kPreset) {
    HULL_ASSIGN_OR_RETURN(container::ContainerSpec cs, container::Preset(p.source));
    cs.suite = s.distribution.suite;
    cs.mirror = s.distribution.mirror;
    cs.architectures = {s.arch};
    const std::string dir = fmt::format("{}/preload/{}", o.work, i);
    HULL_TRY(container::BuildContainer(cs, {.out = dir,
                                            .spec_dir = ".",
                                            .cache_dir = o.cache_dir,
                                            .source_date_epoch = o.source_date_epoch}));
    HULL_ASSIGN_OR_RETURN(out.layout, oci::ReadLayoutDir(dir));
    HULL_ASSIGN_OR_RETURN(out.image, oci::FindImage(out.layout, cs.name));
    out.run = cs.entrypoint;
    out.run.insert(out.run.end(), cs.cmd.begin(), cs.cmd.end());
    std::error_code ec;
    fs::remove_all(dir, ec);
    return out;
  }
  fs::path path(p.source);
  if (path.is_relative()) path = fs::path(o.spec_dir) / path;
  HULL_ASSIGN_OR_RETURN(out.layout, p.kind == spec::Preload::Kind::kLayout
                                        ? oci::ReadLayoutDir(path.string())
                                        : oci::ReadLayoutArchive(path.string()));
  HULL_ASSIGN_OR_RETURN(out.image, oci::FindImage(out.layout, p.ref).Context(path.string()));
  return out;
}

}  // namespace

Result<Bytes> ContainerdArchive(oci::Layout from, const oci::Descriptor& image,
                                const std::string& name) {
  HULL_ASSIGN_OR_RETURN(auto blobs, oci::ImageBlobs(from, image));
  oci::Layout out;
  for (const auto& b : blobs) out.AddBlob(from.TakeBlob(b.digest), "");
  oci::Descriptor d = image;
  d.annotations = {{kAnnotationContainerdName, name},
                   {oci::kAnnotationRefName, name.substr(name.rfind(':') + 1)}};
  out.AddToIndex(std::move(d));
  return std::move(out).Archive();
}

std::string PreloadUnit(const std::vector<std::string>& files, const std::string& set_digest) {
  std::string imports;
  for (const auto& f : files) {
    imports += fmt::format("ExecStart=/usr/bin/ctr --namespace {} images import {}/{}\n",
                           node::kPreloadNamespace, node::kPreloadDir, f);
  }
  const std::string stamp = "/var/lib/hull/preloaded/" + set_digest;
  return fmt::format(R"([Unit]
Description=Hull: import the images preloaded in {0} into containerd
Requires=containerd.service
After=containerd.service
Before=kubelet.service
ConditionPathExists=!{1}

[Service]
Type=oneshot
RemainAfterExit=yes
StateDirectory=hull/preloaded
{2}ExecStartPost=/usr/bin/touch {1}

[Install]
WantedBy=multi-user.target
)",
                     node::kPreloadDir, stamp, imports);
}

Status AddPreloadedImages(const PreloadOptions& o, spec::ImageSpec& s) {
  if (s.preload.empty()) return Ok();
  const std::string dir = o.work + "/node/images";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating {}: {}", dir, ec.message());
  json list = json::array();
  std::vector<std::string> files;
  for (size_t i = 0; i < s.preload.size(); ++i) {
    const spec::Preload& p = s.preload[i];
    const std::string what = fmt::format("containers.preload '{}'", p.source);
    HULL_ASSIGN_OR_RETURN(Loaded l, Load(p, o, s, i).Context(what));
    HULL_ASSIGN_OR_RETURN(Bytes archive,
                          ContainerdArchive(std::move(l.layout), l.image, p.name).Context(what));
    // Named by its content: two references never share a file (the name
    // is in the archive), whatever characters they hold.
    const std::string file = oci::Sha256Digest(archive).substr(7) + ".tar";
    HULL_TRY(WriteFileAtomic(dir + "/" + file, archive));
    s.files.push_back({dir + "/" + file, std::string(node::kPreloadDir) + "/" + file});
    files.push_back(file);
    list.push_back({{"name", p.name}, {"file", file}, {"digest", l.image.digest}, {"run", l.run}});
  }
  const std::string text = json{{"images", list}}.dump(2) + "\n";
  HULL_TRY(WriteFileAtomic(dir + "/images.json", text));
  s.files.push_back({dir + "/images.json", node::kPreloadList});
  const std::string unit = o.work + "/node/hull-preload.service";
  HULL_TRY(WriteFileAtomic(unit, PreloadUnit(files, oci::Sha256Digest(AsBytes(text)).substr(7))));
  s.files.push_back({unit, "/usr/lib/systemd/system/hull-preload.service"});
  s.services.enable.push_back("hull-preload.service");
  return Ok();
}

}  // namespace hull::build
