// The OCI layer and layout writer, checked with independent tools: bsdtar
// lists the layers, gzip/zstd decompress them, sha256sum names the blobs.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "oci/layer.h"
#include "oci/layout.h"
#include "oci/read.h"
#include "support/status_matchers.h"

namespace hull::oci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

std::string Sh(const std::string& script) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", script}});
  EXPECT_OK(r);
  return r.ok() ? r->out : "";
}

// A small tree with a directory, a file, a hard link and a symlink, with
// mtimes in the future (2030) and the past (1990).
std::string MakeTree(const std::string& d) {
  const std::string t = d + "/tree";
  fs::create_directories(t + "/usr/bin");
  EXPECT_OK(WriteFileAtomic(t + "/usr/bin/tool", std::string("#!/bin/sh\necho hi\n"), 0755));
  fs::create_hard_link(t + "/usr/bin/tool", t + "/usr/bin/tool2");
  fs::create_symlink("usr/bin", t + "/bin");
  EXPECT_OK(WriteFileAtomic(t + "/etc-file", std::string("x"), 0600));
  Sh("touch -h -d @1900000000 " + t + "/usr/bin/tool " + t + "/bin && touch -d @631152000 " + t +
     "/etc-file");
  return t;
}

TEST(OciLayer, ReproducibleSortedClampedNumeric) {
  auto tmp = TempDir::Create("hull-oci-layer");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  const std::string tree = MakeTree(d);
  const int64_t epoch = 1700000000;  // 2023-11-14T22:13:20Z
  ASSERT_OK_AND_ASSIGN(auto entries, TreeEntries(tree));
  ASSERT_OK_AND_ASSIGN(Bytes tar, Tar(entries, epoch));
  ASSERT_OK(WriteFileAtomic(d + "/layer.tar", tar));
  // bsdtar's verbose listing: numeric owners, clamped and kept mtimes, the
  // hard link, sorted order.
  std::string list = Sh("TZ=UTC bsdtar -tvf " + d + "/layer.tar --numeric-owner");
  EXPECT_EQ(list,
            "lrwxrwxrwx  0 0      0           0 Nov 14  2023 bin -> usr/bin\n"
            "-rw-------  0 0      0           1 Jan  1  1990 etc-file\n"
            "drwxr-xr-x  0 0      0           0 Nov 14  2023 usr/\n"
            "drwxr-xr-x  0 0      0           0 Nov 14  2023 usr/bin/\n"
            "-rwxr-xr-x  0 0      0          18 Nov 14  2023 usr/bin/tool\n"
            "hrwxr-xr-x  0 0      0           0 Nov 14  2023 usr/bin/tool2 link to usr/bin/tool\n");
  // No names, atime or ctime: GNU tar's pax view shows no extended header.
  EXPECT_THAT(Sh("tar --list --verbose --numeric-owner -f " + d + "/layer.tar | head -1"),
              HasSubstr("0/0"));
  EXPECT_EQ(Sh("grep -c -a 'atime\\|ctime\\|PaxHeader' " + d + "/layer.tar || true"), "0\n");
  // The same tree touched again (atime, ctime) gives the same bytes.
  Sh("cat " + tree + "/usr/bin/tool > /dev/null; chmod 0755 " + tree + "/usr/bin/tool");
  ASSERT_OK_AND_ASSIGN(auto again_entries, TreeEntries(tree));
  ASSERT_OK_AND_ASSIGN(Bytes again, Tar(again_entries, epoch));
  EXPECT_EQ(tar, again);
}

// Debian ships UTF-8 names (ca-certificates' "Főtanúsítvány"); a process
// in the "C" locale still writes them, byte for byte.
TEST(OciLayer, Utf8NamesInCLocale) {
  auto tmp = TempDir::Create("hull-oci-utf8");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  fs::create_directories(d + "/tree");
  ASSERT_OK(WriteFileAtomic(d + "/tree/F\u0151tan\u00fas\u00edtv\u00e1ny.crt", std::string("x")));
  ASSERT_OK_AND_ASSIGN(auto entries, TreeEntries(d + "/tree"));
  ASSERT_OK_AND_ASSIGN(Bytes tar, Tar(entries, 0));
  ASSERT_OK(WriteFileAtomic(d + "/layer.tar", tar));
  EXPECT_EQ(Sh("LC_ALL=C.UTF-8 tar -tf " + d + "/layer.tar"),
            "F\u0151tan\u00fas\u00edtv\u00e1ny.crt\n");
}

TEST(OciLayer, CompressionIsDeterministicAndStandard) {
  auto tmp = TempDir::Create("hull-oci-gz");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  ASSERT_OK_AND_ASSIGN(auto entries, TreeEntries(MakeTree(d)));
  ASSERT_OK_AND_ASSIGN(Bytes tar, Tar(entries, 1700000000));
  ASSERT_OK(WriteFileAtomic(d + "/layer.tar", tar));
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    ASSERT_OK_AND_ASSIGN(Layer a, MakeLayer(tar, c));
    ASSERT_OK_AND_ASSIGN(Layer b, MakeLayer(tar, c));
    EXPECT_EQ(a.blob, b.blob);
    const std::string name = d + "/blob." + std::string(CompressionName(c));
    ASSERT_OK(WriteFileAtomic(name, a.blob));
    std::string tool = c == Compression::kGzip ? "gzip -dc " : "zstd -dc ";
    EXPECT_EQ(Sh(tool + name + " | sha256sum | cut -c1-64"),
              Sh("sha256sum " + d + "/layer.tar | cut -c1-64"));
    EXPECT_EQ("sha256:" + Sh("sha256sum " + d + "/layer.tar | cut -c1-64").substr(0, 64),
              a.diff_id);
  }
  // gzip header: magic, deflate, no flags, mtime 0 (RFC 1952 2.3).
  ASSERT_OK_AND_ASSIGN(Layer g, MakeLayer(tar, Compression::kGzip));
  EXPECT_EQ(Bytes(g.blob.begin(), g.blob.begin() + 8), (Bytes{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}));
  EXPECT_EQ(g.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_ERROR(ParseCompression("lz4"), ErrorCode::kInvalidArgument);
}

TEST(OciLayout, WrittenWholeContentAddressed) {
  auto tmp = TempDir::Create("hull-oci-layout");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  Layout l;
  Descriptor layer = l.AddBlob(Bytes{1, 2, 3}, LayerMediaType(Compression::kNone));
  Descriptor config = l.AddBlob(ConfigJson({.platform = {.architecture = "arm64", .variant = "v8"},
                                            .created = 0,
                                            .user = "65532:65532",
                                            .diff_ids = {layer.digest}}),
                                kMediaTypeConfig);
  Descriptor m = l.AddBlob(ManifestJson(config, {layer}, {}), kMediaTypeManifest);
  m.annotations[kAnnotationRefName] = "static";
  l.AddToIndex(m);
  ASSERT_OK(l.Write(d + "/out"));
  EXPECT_EQ(*ReadFileText(d + "/out/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  std::string sums = Sh("cd " + d + "/out/blobs/sha256 && sha256sum * | awk '$1 != $2'");
  EXPECT_EQ(sums, "");
  auto index = json::parse(*ReadFileText(d + "/out/index.json"));
  EXPECT_EQ(index["manifests"][0]["annotations"][kAnnotationRefName], "static");
  auto cfg = json::parse(*ReadFileText(d + "/out/blobs/sha256/" + config.digest.substr(7)));
  EXPECT_EQ(cfg["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(cfg["variant"], "v8");
  EXPECT_EQ(cfg["config"]["User"], "65532:65532");
  // A referrer (image-spec 1.1 manifest.md "subject"): artifactType, the
  // empty config, the subject without the index's platform or annotations.
  Descriptor empty = l.AddBlob(Bytes{'{', '}'}, kMediaTypeEmpty);
  auto ref = json::parse(ReferrerManifestJson("application/spdx+json", empty, {layer}, m));
  EXPECT_EQ(ref["artifactType"], "application/spdx+json");
  EXPECT_EQ(ref["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  EXPECT_EQ(ref["subject"],
            json({{"mediaType", kMediaTypeManifest}, {"digest", m.digest}, {"size", m.size}}));
  // A non-empty destination is refused and left alone; no temporary remains.
  EXPECT_ERROR(l.Write(d + "/out"), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Sh("ls -A " + d + " | grep -c oci-layout- || true"), "0\n");
}

// A layout read back from a directory and from GNU tar's archive of it:
// the same index and blobs; the image found by ref name, the SBOM-like
// artifact beside it never; a blob whose bytes are not its name refused.
TEST(OciRead, LayoutDirAndArchiveCheckedAndImageFound) {
  auto tmp = TempDir::Create("hull-oci-read");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  Layout l;
  Descriptor layer = l.AddBlob(Bytes{1, 2, 3}, LayerMediaType(Compression::kNone));
  Descriptor config =
      l.AddBlob(ConfigJson({.platform = {.architecture = "amd64"}, .diff_ids = {layer.digest}}),
                kMediaTypeConfig);
  Descriptor m = l.AddBlob(ManifestJson(config, {layer}, {}), kMediaTypeManifest);
  m.annotations[kAnnotationRefName] = "static";
  l.AddToIndex(m);
  Descriptor empty = l.AddBlob(Bytes{'{', '}'}, kMediaTypeEmpty);
  Descriptor sbom = l.AddBlob(ReferrerManifestJson("application/spdx+json", empty, {layer}, m),
                              kMediaTypeManifest);
  sbom.artifact_type = "application/spdx+json";
  l.AddToIndex(sbom);
  ASSERT_OK(l.Write(d + "/out"));
  Sh("tar -C " + d + "/out -cf " + d + "/out.tar .");
  for (const auto& read : {ReadLayoutDir(d + "/out"), ReadLayoutArchive(d + "/out.tar")}) {
    ASSERT_OK(read);
    EXPECT_EQ(read->blobs().size(), 5u);
    ASSERT_EQ(read->index().size(), 2u);
    auto found = FindImage(*read, "static");
    ASSERT_OK(found);
    EXPECT_EQ(found->digest, m.digest);
    EXPECT_EQ(found->size, m.size);
    auto only = FindImage(*read, "");  // the referrer is not an image
    ASSERT_OK(only);
    EXPECT_EQ(only->digest, m.digest);
    auto absent = FindImage(*read, "cc");
    EXPECT_ERROR(absent, ErrorCode::kNotFound);
    if (!absent.ok()) {
      EXPECT_THAT(absent.error().ToString(), HasSubstr("named 'cc'"));
      EXPECT_THAT(absent.error().ToString(), HasSubstr("static"));
    }
  }
  // One flipped byte in the layer blob.
  Sh("printf '\\007' | dd of=" + d + "/out/blobs/sha256/" + layer.digest.substr(7) +
     " bs=1 seek=1 conv=notrunc status=none");
  auto bad = ReadLayoutDir(d + "/out");
  EXPECT_ERROR(bad, ErrorCode::kCorrupt);
  if (!bad.ok()) {
    EXPECT_THAT(bad.error().ToString(), HasSubstr(layer.digest.substr(7)));
  }
  EXPECT_ERROR(ReadLayoutDir(d + "/none"), ErrorCode::kNotFound);
  // An archive with a member outside the layout's shape.
  Sh("mkdir " + d + "/odd && cp -r " + d + "/out.tar " + d + "/odd/ && cd " + d +
     "/odd && tar -xf out.tar && rm out.tar && echo x > stray && tar -cf ../odd.tar .");
  EXPECT_ERROR(ReadLayoutArchive(d + "/odd.tar"), ErrorCode::kCorrupt);
}

// The blobs one image reaches, as a layout on disk read back: the image's
// manifest, config and layers (a nested index's manifests too), never the
// referrer beside it; a missing layer, a layer of another size, a layer
// whose bytes are not its digest or a digest that is not sha256 refused,
// each naming the blob.
TEST(OciRead, ImageBlobsWalkedAndChecked) {
  auto tmp = TempDir::Create("hull-oci-walk");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  const Bytes layer_bytes{1, 2, 3, 4};
  // Written by hand, so a descriptor can lie about its layer.
  auto write = [&](const std::string& dir, const json& layer) {
    Layout l;
    Descriptor layer_d = l.AddBlob(layer_bytes, LayerMediaType(Compression::kNone));
    Descriptor config =
        l.AddBlob(ConfigJson({.platform = {.architecture = "amd64"}, .diff_ids = {layer_d.digest}}),
                  kMediaTypeConfig);
    json m = {{"schemaVersion", 2},
              {"mediaType", kMediaTypeManifest},
              {"config",
               {{"mediaType", kMediaTypeConfig}, {"digest", config.digest}, {"size", config.size}}},
              {"layers", json::array({layer})}};
    const std::string text = m.dump();
    Descriptor md = l.AddBlob(Bytes(text.begin(), text.end()), kMediaTypeManifest);
    md.annotations[kAnnotationRefName] = "img";
    l.AddToIndex(md);
    Descriptor empty = l.AddBlob(Bytes{'{', '}'}, kMediaTypeEmpty);
    Descriptor sbom =
        l.AddBlob(ReferrerManifestJson("application/spdx+json", empty, {}, md), kMediaTypeManifest);
    sbom.artifact_type = "application/spdx+json";
    l.AddToIndex(sbom);
    EXPECT_OK(l.Write(dir));
  };
  // sha256 of the bytes 01 02 03 04: printf '\001\002\003\004' | sha256sum
  const std::string layer_digest =
      "sha256:9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a";
  const std::string tar = LayerMediaType(Compression::kNone);
  write(d + "/good", {{"mediaType", tar}, {"digest", layer_digest}, {"size", 4}});
  ASSERT_OK_AND_ASSIGN(Layout good, ReadLayoutDir(d + "/good"));
  ASSERT_OK_AND_ASSIGN(Descriptor image, FindImage(good, "img"));
  ASSERT_OK_AND_ASSIGN(auto blobs, ImageBlobs(good, image));
  ASSERT_EQ(blobs.size(), 3u);  // manifest, config, layer; not the SBOM nor its empty config
  EXPECT_EQ(blobs[0].digest, image.digest);
  EXPECT_EQ(blobs[1].media_type, kMediaTypeConfig);
  EXPECT_EQ(blobs[2].digest, layer_digest);
  EXPECT_EQ(good.blobs().size(), 5u);  // the three, the SBOM and its empty config

  // An index naming the manifest: the walk goes through it.
  {
    Layout l;
    for (const auto& [digest, bytes] : good.blobs()) l.AddBlob(bytes, "");
    Descriptor idx = l.AddBlob(IndexJson({image}, {}), kMediaTypeIndex);
    ASSERT_OK_AND_ASSIGN(auto via_index, ImageBlobs(l, idx));
    ASSERT_EQ(via_index.size(), 4u);
    EXPECT_EQ(via_index[1].digest, image.digest);
    EXPECT_EQ(via_index[3].digest, layer_digest);
    // The index's descriptor calling it a manifest: its mediaType says otherwise.
    Descriptor as_manifest = idx;
    as_manifest.media_type = kMediaTypeManifest;
    EXPECT_ERROR(ImageBlobs(l, as_manifest), ErrorCode::kCorrupt);
  }

  struct Case {
    std::string name;
    json layer;
    std::string names;  // what the error names
  } cases[] = {
      {"missing", {{"mediaType", tar}, {"digest", layer_digest}, {"size", 4}}, layer_digest},
      {"size", {{"mediaType", tar}, {"digest", layer_digest}, {"size", 5}}, layer_digest},
      {"other-digest",
       {{"mediaType", tar}, {"digest", "sha256:" + std::string(64, 'e')}, {"size", 4}},
       std::string(64, 'e')},
      {"not-sha256",
       {{"mediaType", tar}, {"digest", "sha256:../../etc/passwd"}, {"size", 4}},
       "sha256:../../etc/passwd"},
  };
  for (const auto& c : cases) {
    const std::string dir = d + "/" + c.name;
    write(dir, c.layer);
    if (c.name == "missing") fs::remove(dir + "/blobs/sha256/" + layer_digest.substr(7));
    ASSERT_OK_AND_ASSIGN(Layout l, ReadLayoutDir(dir));
    ASSERT_OK_AND_ASSIGN(Descriptor img, FindImage(l, "img"));
    auto r = ImageBlobs(l, img);
    EXPECT_ERROR(r, ErrorCode::kCorrupt) << c.name;
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), HasSubstr(c.names)) << c.name;
    }
  }
  // The layer's bytes replaced by others of the same size: refused on reading.
  write(d + "/swapped", {{"mediaType", tar}, {"digest", layer_digest}, {"size", 4}});
  ASSERT_OK(
      WriteFileAtomic(d + "/swapped/blobs/sha256/" + layer_digest.substr(7), std::string("abcd")));
  auto swapped = ReadLayoutDir(d + "/swapped");
  EXPECT_ERROR(swapped, ErrorCode::kCorrupt);
  if (!swapped.ok()) {
    EXPECT_THAT(swapped.error().ToString(), HasSubstr(layer_digest.substr(7)));
  }
}

// One blob more than kMaxBlobs, from a directory and a tar of it: refused
// before any is read, naming the cap.
TEST(OciRead, LayoutWithTooManyBlobsRefused) {
  auto tmp = TempDir::Create("hull-oci-many");
  ASSERT_OK(tmp);
  const std::string d = tmp->path();
  Layout l;
  Descriptor m = l.AddBlob(Bytes{'{', '}'}, kMediaTypeManifest);
  l.AddToIndex(m);
  ASSERT_OK(l.Write(d + "/out"));
  Sh(fmt::format("cd {}/out/blobs/sha256 && seq 0 {} | xargs printf '%064x\\n' | xargs touch", d,
                 kMaxBlobs - 1));
  EXPECT_EQ(Sh("ls " + d + "/out/blobs/sha256 | wc -l"), fmt::format("{}\n", kMaxBlobs + 1));
  Sh("tar -C " + d + "/out -cf " + d + "/out.tar .");
  for (const auto& r : {ReadLayoutDir(d + "/out"), ReadLayoutArchive(d + "/out.tar")}) {
    EXPECT_ERROR(r, ErrorCode::kCorrupt);
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), HasSubstr("more than 4096 blobs"));
    }
  }
  // One fewer is read (and refused only for the empty files' digests).
  fs::remove(fmt::format("{}/out/blobs/sha256/{:064x}", d, 0));
  auto fewer = ReadLayoutDir(d + "/out");
  EXPECT_ERROR(fewer, ErrorCode::kCorrupt);
  if (!fewer.ok()) {
    EXPECT_THAT(fewer.error().ToString(), HasSubstr("holds content of digest"));
  }
}

TEST(OciRead, IndexParserRefusesMalformedEntries) {
  const std::string good =
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,"digest":"sha256:)" +
      std::string(64, 'a') + "\"";
  auto ok =
      ParseIndex(AsBytes(R"({"schemaVersion":2,"manifests":[)" + good +
                         R"(,"platform":{"architecture":"arm64","os":"linux","variant":"v8"},)"
                         R"("annotations":{"a":"b"}}]})"));
  ASSERT_OK(ok);
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].platform->variant, "v8");
  EXPECT_EQ((*ok)[0].annotations.at("a"), "b");
  for (
      const std::string& bad : {
          std::string("[]"),
          std::string(R"({"schemaVersion":1,"manifests":[]})"),
          std::string(R"({"schemaVersion":2})"),
          R"({"schemaVersion":2,"manifests":[)" + good + R"(,"annotations":{"a":1}}]})",
          R"({"schemaVersion":2,"manifests":[)" + good + R"(,"platform":"amd64"}]})",
          std::string(
              R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":1,"digest":"sha256:../../etc"}]})"),
          std::string(
              R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":-1,"digest":"sha256:)") +
              std::string(64, 'a') + "\"}]}",
      }) {
    EXPECT_ERROR(ParseIndex(AsBytes(bad)), ErrorCode::kCorrupt) << bad;
  }
}

}  // namespace
}  // namespace hull::oci
