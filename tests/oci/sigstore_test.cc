// Sigstore signatures in a layout (oci/sigstore.h): the payload as
// containers/image's signature/internal/sigstore_payload.go reads it, the
// tag cosign and containers/image look up, the references accepted, and the
// signature manifest added in place (blobs named by sha256sum, index.json
// replaced whole, an earlier signature of the image replaced).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "oci/layout.h"
#include "oci/read.h"
#include "oci/sigstore.h"
#include "support/status_matchers.h"

namespace hull::oci {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kDigest[] =
    "sha256:009da08359baa17c1abcd9bf1f38e5df1a11efab3d32e64a88cb6aa210572652";

TEST(Sigstore, PayloadAndTag) {
  Bytes p = SigstorePayload(kDigest, "registry.example.com/hull/static:latest");
  EXPECT_EQ(std::string(p.begin(), p.end()),
            R"({"critical":{"identity":{"docker-reference":"registry.example.com/hull/static:)"
            R"(latest"},"image":{"docker-manifest-digest":"sha256:009da08359baa17c1abcd9bf1f38e)"
            R"(5df1a11efab3d32e64a88cb6aa210572652"},"type":"cosign container image signature"},)"
            R"("optional":{"creator":"hull"}})");
  EXPECT_EQ(SigstoreTag(kDigest),
            "sha256-009da08359baa17c1abcd9bf1f38e5df1a11efab3d32e64a88cb6aa210572652.sig");
  EXPECT_TRUE(IsSigstoreTag(SigstoreTag(kDigest)));
  for (const char* name :
       {"static", "latest", "sha256-abc.sig",
        "sha256-009da08359baa17c1abcd9bf1f38e5df1a11efab3d32e64a88cb6aa21057265.sig",
        "sha256-009DA08359baa17c1abcd9bf1f38e5df1a11efab3d32e64a88cb6aa210572652.sig",
        "sha256-009da08359baa17c1abcd9bf1f38e5df1a11efab3d32e64a88cb6aa210572652.att"})
    EXPECT_FALSE(IsSigstoreTag(name)) << name;
}

TEST(Sigstore, References) {
  for (const char* ok :
       {"registry.example.com/hull/static:latest", "localhost:5000/static",
        "127.0.0.1:5055/hull/static:v1.2_3", "ghcr.io/org/sub/repo-name", "localhost/a__b/c.d"})
    EXPECT_OK(CheckDockerReference(ok)) << ok;
  struct Case {
    const char* ref;
    const char* why;
  };
  for (const Case& c :
       std::initializer_list<Case>{{"", "empty"},
                                   {"static", "no registry"},
                                   {"hull/static", "its first part is not a registry host"},
                                   {"registry.example.com/Hull/static", "lowercase"},
                                   {"registry.example.com/hull/static@sha256:00", "a digest"},
                                   {"registry.example.com/hull/static:", "bad tag"},
                                   {"registry.example.com/hull//static", "lowercase"},
                                   {"registry.example.com/hull/static:-x", "bad tag"},
                                   {"registry.example.com:99999999/hull", "registry host"}}) {
    auto st = CheckDockerReference(c.ref);
    EXPECT_ERROR(st, ErrorCode::kInvalidArgument) << c.ref;
    if (!st.ok()) {
      EXPECT_THAT(st.error().ToString(), HasSubstr(c.why)) << c.ref;
      EXPECT_THAT(st.error().ToString(), HasSubstr("REGISTRY/REPOSITORY[:TAG]"));
    }
  }
}

std::string Sh(const std::string& script) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", script}});
  EXPECT_OK(r);
  return r.ok() ? r->out : "";
}

TEST(Sigstore, SignatureManifestAddedInPlaceAndReplaced) {
  auto tmp = TempDir::Create("hull-oci-sigstore");
  ASSERT_OK(tmp);
  const std::string d = tmp->path() + "/out";
  Layout l;
  Descriptor layer = l.AddBlob(Bytes{1, 2, 3}, kMediaTypeConfig);
  Descriptor m = l.AddBlob(ManifestJson(layer, {}, {}), kMediaTypeManifest);
  m.annotations[kAnnotationRefName] = "static";
  l.AddToIndex(m);
  ASSERT_OK(l.Write(d));

  ASSERT_OK_AND_ASSIGN(Layout read, ReadLayoutDir(d));
  Bytes payload = SigstorePayload(m.digest, "localhost/hull/static");
  AddSigstoreSignature(read, m, payload, Bytes{0xde, 0xad});
  ASSERT_OK(read.Update(d));
  ASSERT_OK(read.Update(d));  // again: nothing changes

  // Every blob is named by its sha256sum.
  EXPECT_EQ(Sh("cd " + d +
               "/blobs/sha256 && for f in *; do echo \"$f  $f\"; done | "
               "sha256sum -c --quiet - 2>&1 | wc -l"),
            "0\n");
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileText(d + "/index.json"));
  json index = json::parse(text);
  ASSERT_EQ(index["manifests"].size(), 2u) << text;
  const json sig = index["manifests"][1];
  EXPECT_EQ(sig["annotations"][kAnnotationRefName], SigstoreTag(m.digest));
  EXPECT_EQ(sig["mediaType"], kMediaTypeManifest);
  ASSERT_OK_AND_ASSIGN(
      std::string man_text,
      ReadFileText(d + "/blobs/sha256/" + sig["digest"].get<std::string>().substr(7)));
  json man = json::parse(man_text);
  ASSERT_EQ(man["layers"].size(), 1u);
  EXPECT_EQ(man["layers"][0]["mediaType"], kMediaTypeSimpleSigning);
  EXPECT_EQ(man["layers"][0]["annotations"][kAnnotationSigstoreSignature], "3q0=");
  EXPECT_EQ(man["config"]["mediaType"], kMediaTypeConfig);
  ASSERT_OK_AND_ASSIGN(
      std::string payload_text,
      ReadFileText(d + "/blobs/sha256/" + man["layers"][0]["digest"].get<std::string>().substr(7)));
  EXPECT_EQ(payload_text, std::string(payload.begin(), payload.end()));

  // The signature is not an image: the only image is still found unnamed.
  ASSERT_OK_AND_ASSIGN(Layout again, ReadLayoutDir(d));
  ASSERT_OK_AND_ASSIGN(Descriptor only, FindImage(again, ""));
  EXPECT_EQ(only.digest, m.digest);

  // Signing again replaces the signature manifest.
  AddSigstoreSignature(again, m, payload, Bytes{0xbe, 0xef});
  ASSERT_OK(again.Update(d));
  ASSERT_OK_AND_ASSIGN(text, ReadFileText(d + "/index.json"));
  index = json::parse(text);
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_NE(index["manifests"][1]["digest"], sig["digest"]);

  EXPECT_ERROR(again.Update(tmp->path() + "/none"), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hull::oci
