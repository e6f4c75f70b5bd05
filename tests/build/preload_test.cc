// containers.preload on the host side (docs/containers.md, "Preloaded on the
// node"): the archive containerd imports, read by skopeo; the import unit,
// checked by systemd-analyze verify; the files the build adds from a layout
// and an archive; and the bad entries, each one line naming it. The presets
// themselves are built and run in the booted node (tests/vm/boot_vm_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/file.h"
#include "base/subprocess.h"
#include "build/preload.h"
#include "node/preload.h"
#include "oci/layer.h"
#include "support/status_matchers.h"

namespace hull::build {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string Sh(const std::string& script) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", script}});
  EXPECT_OK(r) << script;
  return r.ok() ? r->out : "";
}

// A one-layer image layout with an SBOM-like referrer beside it.
oci::Layout SmallLayout(oci::Descriptor* image) {
  oci::Layout l;
  auto tar = oci::Tar({{.path = "hello", .data = Bytes{'h', 'i', '\n'}}}, 0);
  EXPECT_OK(tar);
  auto layer = oci::MakeLayer(*tar, oci::Compression::kGzip);
  EXPECT_OK(layer);
  oci::Descriptor config = l.AddBlob(
      oci::ConfigJson({.platform = {.architecture = "amd64"}, .diff_ids = {layer->diff_id}}),
      oci::kMediaTypeConfig);
  oci::Descriptor ld = l.AddBlob(std::move(layer->blob), layer->media_type);
  oci::Descriptor m = l.AddBlob(oci::ManifestJson(config, {ld}, {}), oci::kMediaTypeManifest);
  m.annotations[oci::kAnnotationRefName] = "app";
  l.AddToIndex(m);
  oci::Descriptor empty = l.AddBlob(Bytes{'{', '}'}, oci::kMediaTypeEmpty);
  oci::Descriptor sbom = l.AddBlob(
      oci::ReferrerManifestJson("application/spdx+json", empty, {ld}, m), oci::kMediaTypeManifest);
  sbom.artifact_type = "application/spdx+json";
  l.AddToIndex(sbom);
  *image = m;
  return l;
}

TEST(Preload, ArchiveNamesTheImageForContainerdAndSkopeoReadsIt) {
  auto tmp = TempDir::Create("hull-preload");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  oci::Descriptor m;
  oci::Layout l = SmallLayout(&m);
  auto archive = ContainerdArchive(l, m, "registry.example/team/app:1.0");
  ASSERT_OK(archive);
  ASSERT_OK(WriteFileAtomic(d + "/app.tar", *archive));
  json index = json::parse(Sh("tar -xOf " + d + "/app.tar index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["digest"], m.digest);
  EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"],
            "registry.example/team/app:1.0");
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "1.0");
  auto inspect = RunAllowFailure(
      Command{.argv = {"skopeo", "inspect", "--raw", "oci-archive:" + d + "/app.tar"},
              .install_hint = "apt-get install skopeo"});
  ASSERT_OK(inspect);
  ASSERT_EQ(inspect->exit_code, 0) << inspect->err;
  EXPECT_EQ(Sh("skopeo inspect --raw oci-archive:" + d + "/app.tar | sha256sum | cut -c1-64"),
            m.digest.substr(7) + "\n");
  // Only the image's blobs (manifest, config, layer), not the SBOM referrer
  // or its empty config.
  std::string want = "blobs/sha256/" + m.digest.substr(7) + "\n";
  json manifest = json::parse(Sh("tar -xOf " + d + "/app.tar blobs/sha256/" + m.digest.substr(7)));
  want += "blobs/sha256/" + manifest["config"]["digest"].get<std::string>().substr(7) + "\n";
  want += "blobs/sha256/" + manifest["layers"][0]["digest"].get<std::string>().substr(7) + "\n";
  EXPECT_EQ(Sh("tar -tf " + d + "/app.tar | grep '^blobs/sha256/.' | sort"),
            Sh("printf '" + want + "' | sort"));
  // The same inputs, the same bytes.
  auto again = ContainerdArchive(l, m, "registry.example/team/app:1.0");
  ASSERT_OK(again);
  EXPECT_EQ(*again, *archive);
}

TEST(Preload, UnitImportsEachArchiveOncePerSet) {
  auto tmp = TempDir::Create("hull-preload-unit");
  ASSERT_OK(tmp);
  const std::string unit = PreloadUnit({"a.tar", "b.tar"}, std::string(64, 'c'));
  EXPECT_THAT(unit, HasSubstr("\nExecStart=/usr/bin/ctr --namespace k8s.io images import "
                              "/usr/share/hull/images/a.tar\n"
                              "ExecStart=/usr/bin/ctr --namespace k8s.io images import "
                              "/usr/share/hull/images/b.tar\n"));
  EXPECT_THAT(unit, HasSubstr("\nConditionPathExists=!/var/lib/hull/preloaded/" +
                              std::string(64, 'c') + "\n"));
  EXPECT_THAT(unit, HasSubstr("\nAfter=containerd.service\n"));
  // ctr is not on this machine: verify checks that ExecStart names an
  // executable, so the copy runs /bin/true with the same arguments.
  std::string copy = unit;
  for (size_t at; (at = copy.find("/usr/bin/ctr")) != std::string::npos;)
    copy.replace(at, 12, "/bin/true");
  const std::string path = tmp->path() + "/hull-preload.service";
  ASSERT_OK(WriteFileAtomic(path, copy));
  // The unit it requires, as a stand-in beside it.
  const std::string containerd = tmp->path() + "/containerd.service";
  ASSERT_OK(WriteFileAtomic(containerd, "[Service]\nExecStart=/bin/true\n"));
  auto out =
      RunAllowFailure(Command{.argv = {"systemd-analyze", "verify", "--man=no", path, containerd},
                              .install_hint = "apt-get install systemd"});
  ASSERT_OK(out);
  EXPECT_EQ(out->exit_code, 0) << out->err;
  EXPECT_EQ(out->err, "");
}

TEST(Preload, LayoutAndArchiveGoIntoUsrWithTheirList) {
  auto tmp = TempDir::Create("hull-preload-add");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  oci::Descriptor m;
  oci::Layout l = SmallLayout(&m);
  ASSERT_OK(l.Write(d + "/layout"));
  Sh("tar -C " + d + "/layout -cf " + d + "/layout.tar .");
  spec::ImageSpec s;
  s.preload = {{.kind = spec::Preload::Kind::kLayout,
                .source = "layout",
                .ref = "app",
                .name = "registry.example/app:1"},
               {.kind = spec::Preload::Kind::kArchive,
                .source = d + "/layout.tar",
                .name = "localhost/tool:2"}};
  ASSERT_OK(AddPreloadedImages({.spec_dir = d, .work = d + "/work"}, s));
  std::map<std::string, std::string> dests;
  for (const auto& f : s.files) dests[f.dest] = f.source;
  ASSERT_TRUE(dests.contains(node::kPreloadList));
  json list = json::parse(*ReadFileText(dests[node::kPreloadList]));
  ASSERT_EQ(list["images"].size(), 2u);
  EXPECT_EQ(list["images"][0]["name"], "registry.example/app:1");
  EXPECT_EQ(list["images"][0]["digest"], m.digest);
  EXPECT_EQ(list["images"][1]["digest"], m.digest);
  // Each archive named by its sha256 (sha256sum's), one per reference.
  std::set<std::string> names;
  for (const auto& image : list["images"]) {
    const std::string file = image["file"];
    const std::string dest = std::string(node::kPreloadDir) + "/" + file;
    ASSERT_TRUE(dests.contains(dest)) << file;
    EXPECT_EQ(file.size(), 68u) << file;
    EXPECT_EQ(Sh("sha256sum < " + dests[dest] + " | cut -c1-64"), file.substr(0, 64) + "\n");
    names.insert(file);
  }
  EXPECT_EQ(names.size(), 2u);
  EXPECT_TRUE(dests.contains("/usr/lib/systemd/system/hull-preload.service"));
  EXPECT_THAT(s.services.enable, ::testing::Contains("hull-preload.service"));
  // skopeo reads what goes into /usr.
  EXPECT_EQ(Sh("skopeo inspect --raw oci-archive:" +
               dests[std::string(node::kPreloadDir) + "/" +
                     list["images"][1]["file"].get<std::string>()] +
               " | sha256sum | cut -c1-64"),
            m.digest.substr(7) + "\n");
}

// References that differ only in '/' against '_' (both valid) get two
// files, both listed, both holding their own name.
TEST(Preload, NamesDifferingInSlashAndUnderscoreKeepTheirOwnFiles) {
  auto tmp = TempDir::Create("hull-preload-names");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  oci::Descriptor m;
  ASSERT_OK(SmallLayout(&m).Write(d + "/layout"));
  spec::ImageSpec s;
  for (const char* name : {"a.example/b_c:1", "a.example/b/c:1"})
    s.preload.push_back(
        {.kind = spec::Preload::Kind::kLayout, .source = "layout", .ref = "app", .name = name});
  ASSERT_OK(AddPreloadedImages({.spec_dir = d, .work = d + "/work"}, s));
  std::map<std::string, std::string> dests;
  for (const auto& f : s.files) dests[f.dest] = f.source;
  json list = json::parse(*ReadFileText(dests[node::kPreloadList]));
  ASSERT_EQ(list["images"].size(), 2u);
  EXPECT_NE(list["images"][0]["file"], list["images"][1]["file"]);
  for (const auto& image : list["images"]) {
    const std::string src =
        dests[std::string(node::kPreloadDir) + "/" + image["file"].get<std::string>()];
    ASSERT_FALSE(src.empty()) << image.dump();
    json index = json::parse(Sh("tar -xOf " + src + " index.json"));
    EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"], image["name"]);
  }
}

TEST(Preload, BadEntriesOneLineNamingThem) {
  auto tmp = TempDir::Create("hull-preload-bad");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  oci::Descriptor m;
  ASSERT_OK(SmallLayout(&m).Write(d + "/layout"));
  Sh("printf x >> " + d + "/layout/blobs/sha256/" + m.digest.substr(7));
  // A layout whose image names a layer that is not there.
  ASSERT_OK(SmallLayout(&m).Write(d + "/nolayer"));
  const std::string layer = json::parse(
      *ReadFileText(d + "/nolayer/blobs/sha256/" + m.digest.substr(7)))["layers"][0]["digest"];
  Sh("rm " + d + "/nolayer/blobs/sha256/" + layer.substr(7));
  struct Case {
    spec::Preload p;
    ErrorCode code;
    std::string names;
  } cases[] = {
      {{.kind = spec::Preload::Kind::kPreset, .source = "distroless", .name = "localhost/x:1"},
       ErrorCode::kNotFound,
       "distroless"},
      {{.kind = spec::Preload::Kind::kLayout, .source = "nowhere", .name = "localhost/x:1"},
       ErrorCode::kNotFound,
       "nowhere"},
      {{.kind = spec::Preload::Kind::kLayout, .source = "layout", .name = "localhost/x:1"},
       ErrorCode::kCorrupt,
       m.digest.substr(7)},
      {{.kind = spec::Preload::Kind::kLayout, .source = "nolayer", .name = "localhost/x:1"},
       ErrorCode::kCorrupt,
       layer},
  };
  for (const auto& c : cases) {
    spec::ImageSpec s;
    s.preload = {c.p};
    auto r = AddPreloadedImages({.spec_dir = d, .work = d + "/work"}, s);
    EXPECT_ERROR(r, c.code) << c.names;
    if (r.ok()) continue;
    const std::string line = r.error().ToString();
    EXPECT_THAT(line, HasSubstr(c.names));
    EXPECT_THAT(line, HasSubstr("containers.preload '" + c.p.source + "'"));
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace hull::build
