// Unit tests: request/error body codecs and the semaphore value codec/logic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fleet/etcd.h"
#include "fleet/protocol.h"
#include "fleet/semaphore.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

TEST(RequestBody, CurrentIdForm) {
  auto r = ParseRequestBody(
      R"({"client_params":{"id":"c988d2509fdf5cdcbed39037c56406fb","group":"workers"}})");
  ASSERT_TRUE(r.ok) << r.error.value;
  EXPECT_EQ(r.params, (ClientParams{"c988d2509fdf5cdcbed39037c56406fb", "workers"}));
}

TEST(RequestBody, OlderNodeUuidFormAsInAirlockExample) {
  auto r = ParseRequestBody(R"({"client_params":{"node_uuid":"abc","group":"default"}})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.params.id, "abc");
}

TEST(RequestBody, IdWinsOverNodeUuidAndGroupDefaults) {
  auto r = ParseRequestBody(R"({"client_params":{"id":"new","node_uuid":"old"}})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.params, (ClientParams{"new", "default"}));
}

struct BadBody {
  const char* body;
  ErrorKind kind;
  const char* value;
};

TEST(RequestBody, RejectsEachMalformedShapeWithItsKind) {
  const BadBody cases[] = {
      {"", ErrorKind::kMalformedBody, "request body is not JSON"},
      {"{\"client_params\":", ErrorKind::kMalformedBody, "request body is not JSON"},
      {"[]", ErrorKind::kMalformedBody, "missing object 'client_params'"},
      {R"({"client_params":"x"})", ErrorKind::kMalformedBody, "missing object 'client_params'"},
      {R"({"client_params":{}})", ErrorKind::kMalformedBody, "missing string 'client_params.id'"},
      {R"({"client_params":{"id":5}})", ErrorKind::kMalformedBody,
       "missing string 'client_params.id'"},
      {R"({"client_params":{"id":"a","group":7}})", ErrorKind::kMalformedBody,
       "'client_params.group' is not a string"},
      {R"({"client_params":{"id":""}})", ErrorKind::kInvalidId, "id is empty"},
      {R"({"client_params":{"id":"a b"}})", ErrorKind::kInvalidId, "id has a forbidden byte 0x20"},
      {R"({"client_params":{"id":"a","group":""}})", ErrorKind::kInvalidGroup, "group is empty"},
      {R"({"client_params":{"id":"a","group":"a/b"}})", ErrorKind::kInvalidGroup,
       "group does not match ^[a-zA-Z0-9.-]+$"},
      {R"({"client_params":{"id":"a","group":"a_b"}})", ErrorKind::kInvalidGroup,
       "group does not match ^[a-zA-Z0-9.-]+$"},
  };
  for (const auto& c : cases) {
    auto r = ParseRequestBody(c.body);
    EXPECT_FALSE(r.ok) << c.body;
    EXPECT_EQ(r.error.kind, c.kind) << c.body;
    EXPECT_EQ(r.error.value, c.value) << c.body;
  }
}

TEST(RequestBody, CapsSizeAndIdLength) {
  std::string big(kMaxRequestBody + 1, ' ');
  EXPECT_EQ(ParseRequestBody(big).error.kind, ErrorKind::kBodyTooLarge);
  std::string id(kMaxIdLength + 1, 'a');
  auto r = ParseRequestBody(EncodeRequestBody({id, "default"}));
  EXPECT_EQ(r.error.kind, ErrorKind::kInvalidId);
  EXPECT_EQ(r.error.value, "id is 257 bytes long (at most 256)");
}

TEST(RequestBody, EncodeRoundTrips) {
  ClientParams p{"0123abc", "g.1-x"};
  EXPECT_EQ(EncodeRequestBody(p), R"({"client_params":{"group":"g.1-x","id":"0123abc"}})");
  EXPECT_EQ(ParseRequestBody(EncodeRequestBody(p)).params, p);
}

TEST(HullExtension, PreRebootNamesTheReleaseToBoot) {
  auto r =
      ParseRequestBody(R"({"client_params":{"id":"n1","group":"workers",)"
                       R"("hull":{"version":"202612.05.0","flavor":"k8s-1.31","arch":"amd64"}}})");
  ASSERT_TRUE(r.ok) << r.error.value;
  ASSERT_TRUE(r.params.hull.has_value());
  EXPECT_EQ(*r.params.hull, (HullParams{"202612.05.0", "k8s-1.31", "amd64"}));
}

TEST(HullExtension, ZincatiBodyHasNoHullAndUnknownFieldsAreIgnored) {
  auto r = ParseRequestBody(
      R"({"client_params":{"id":"n1","group":"g","zincati":{"x":1},"extra":[1]},"other":true})");
  ASSERT_TRUE(r.ok) << r.error.value;
  EXPECT_FALSE(r.params.hull.has_value());
  auto h = ParseRequestBody(
      R"({"client_params":{"id":"n1","hull":{"version":"1","flavor":"f","arch":"a","x":2}}})");
  ASSERT_TRUE(h.ok) << h.error.value;
  EXPECT_EQ(*h.params.hull, (HullParams{"1", "f", "a"}));
}

TEST(HullExtension, RejectsEachMalformedHullObject) {
  const BadBody cases[] = {
      {R"({"client_params":{"id":"a","hull":"202612.05.0"}})", ErrorKind::kMalformedBody,
       "'client_params.hull' is not an object"},
      {R"({"client_params":{"id":"a","hull":{"flavor":"f","arch":"a"}}})",
       ErrorKind::kMalformedBody, "missing string 'client_params.hull.version'"},
      {R"({"client_params":{"id":"a","hull":{"version":"1","arch":"a"}}})",
       ErrorKind::kMalformedBody, "missing string 'client_params.hull.flavor'"},
      {R"({"client_params":{"id":"a","hull":{"version":"1","flavor":"f","arch":3}}})",
       ErrorKind::kMalformedBody, "missing string 'client_params.hull.arch'"},
      {R"({"client_params":{"id":"a","hull":{"version":"","flavor":"f","arch":"a"}}})",
       ErrorKind::kMalformedBody, "client_params.hull.version is empty"},
      {R"({"client_params":{"id":"a","hull":{"version":"1/../x","flavor":"f","arch":"a"}}})",
       ErrorKind::kMalformedBody, "client_params.hull.version does not match ^[A-Za-z0-9._+-]+$"},
      {R"({"client_params":{"id":"a","hull":{"version":"1","flavor":"f g","arch":"a"}}})",
       ErrorKind::kMalformedBody, "client_params.hull.flavor does not match ^[A-Za-z0-9._+-]+$"},
  };
  for (const auto& c : cases) {
    auto r = ParseRequestBody(c.body);
    EXPECT_FALSE(r.ok) << c.body;
    EXPECT_EQ(r.error.kind, c.kind) << c.body;
    EXPECT_EQ(r.error.value, c.value) << c.body;
  }
  std::string long_version(kMaxHullFieldLength + 1, '1');
  auto r = ParseRequestBody(R"({"client_params":{"id":"a","hull":{"version":")" + long_version +
                            R"(","flavor":"f","arch":"a"}}})");
  EXPECT_EQ(r.error.value, "client_params.hull.version is 65 bytes long (at most 64)");
}

TEST(HullExtension, RequestWithHullEncodesAndRoundTrips) {
  ClientParams p{"n1", "g", HullParams{"202612.05.0", "base", "amd64"}};
  EXPECT_EQ(EncodeRequestBody(p),
            R"({"client_params":{"group":"g","hull":{"arch":"amd64","flavor":"base",)"
            R"("version":"202612.05.0"},"id":"n1"}})");
  EXPECT_EQ(ParseRequestBody(EncodeRequestBody(p)).params, p);
}

TEST(HullExtension, ReportBodyBothResults) {
  auto h = ParseReportBody(
      R"({"client_params":{"id":"n1","group":"g","hull":{"version":"2","flavor":"f",)"
      R"("arch":"amd64"}},"result":"healthy"})");
  ASSERT_TRUE(h.ok) << h.error.value;
  EXPECT_EQ(h.report.result, ReportResult::kHealthy);
  EXPECT_EQ(h.report.params, (ClientParams{"n1", "g", HullParams{"2", "f", "amd64"}}));
  auto rb = ParseReportBody(
      R"({"client_params":{"id":"n2","hull":{"version":"2","flavor":"f","arch":"amd64"}},)"
      R"("result":"rolled-back","note":"ignored"})");
  ASSERT_TRUE(rb.ok) << rb.error.value;
  EXPECT_EQ(rb.report.result, ReportResult::kRolledBack);
  EXPECT_EQ(rb.report.params.group, "default");
  Report rep{{"n3", "g", HullParams{"3", "f", "arm64"}}, ReportResult::kRolledBack};
  EXPECT_EQ(EncodeReportBody(rep),
            R"({"client_params":{"group":"g","hull":{"arch":"arm64","flavor":"f","version":"3"},)"
            R"("id":"n3"},"result":"rolled-back"})");
  auto again = ParseReportBody(EncodeReportBody(rep));
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.report, rep);
}

TEST(HullExtension, ReportRejectsMissingHullOrResult) {
  const BadBody cases[] = {
      {R"({"client_params":{"id":"a"},"result":"healthy"})", ErrorKind::kMalformedBody,
       "missing object 'client_params.hull'"},
      {R"({"client_params":{"id":"a","hull":{"version":"1","flavor":"f","arch":"a"}}})",
       ErrorKind::kMalformedBody, R"('result' must be "healthy" or "rolled-back")"},
      {R"({"client_params":{"id":"a","hull":{"version":"1","flavor":"f","arch":"a"}},)"
       R"("result":"rolled_back"})",
       ErrorKind::kMalformedBody, R"('result' must be "healthy" or "rolled-back")"},
      {R"({"client_params":{"id":"a","hull":{"version":"1","flavor":"f","arch":"a"}},)"
       R"("result":1})",
       ErrorKind::kMalformedBody, R"('result' must be "healthy" or "rolled-back")"},
      {R"({"client_params":{"id":"","hull":{"version":"1","flavor":"f","arch":"a"}},)"
       R"("result":"healthy"})",
       ErrorKind::kInvalidId, "id is empty"},
      {"nope", ErrorKind::kMalformedBody, "request body is not JSON"},
  };
  for (const auto& c : cases) {
    auto r = ParseReportBody(c.body);
    EXPECT_FALSE(r.ok) << c.body;
    EXPECT_EQ(r.error.kind, c.kind) << c.body;
    EXPECT_EQ(r.error.value, c.value) << c.body;
  }
  std::string big(kMaxRequestBody + 1, ' ');
  EXPECT_EQ(ParseReportBody(big).error.kind, ErrorKind::kBodyTooLarge);
}

TEST(HullExtension, NewErrorKindsDecode) {
  const std::pair<const char*, ErrorKind> kinds[] = {
      {"hull_release_halted", ErrorKind::kReleaseHalted},
      {"hull_unknown_version", ErrorKind::kUnknownVersion},
      {"certificate_id_mismatch", ErrorKind::kIdNotCertified},
      {"operator_certificate_required", ErrorKind::kOperatorOnly},
  };
  for (const auto& [name, kind] : kinds) {
    std::string body = std::string(R"({"kind":")") + name + R"(","value":"v"})";
    std::string decoded;
    EXPECT_EQ(DecodeErrorBody(409, body, &decoded).kind, kind) << name;
    EXPECT_EQ(decoded, name);
    EXPECT_EQ(EncodeErrorBody({kind, "v"}), body);
  }
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kReleaseHalted), 409);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kUnknownVersion), 400);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kIdNotCertified), 403);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kOperatorOnly), 403);
}

TEST(ErrorBody, EncodesKindAndDecodesBack) {
  std::string body =
      EncodeErrorBody({ErrorKind::kSemaphoreFull, "all 3 semaphore slots currently locked"});
  EXPECT_EQ(
      body,
      R"({"kind":"failed_lock_semaphore_full","value":"all 3 semaphore slots currently locked"})");
  std::string kind;
  ProtocolError e = DecodeErrorBody(409, body, &kind);
  EXPECT_EQ(kind, "failed_lock_semaphore_full");
  EXPECT_EQ(e.kind, ErrorKind::kSemaphoreFull);
  EXPECT_EQ(e.value, "all 3 semaphore slots currently locked");
}

TEST(ErrorBody, NonJsonBecomesGenericHttpKindAsZincati) {
  std::string kind;
  DecodeErrorBody(502, "<html>bad gateway</html>", &kind);
  EXPECT_EQ(kind, "generic_http_502");
}

TEST(ErrorBody, InvalidUtf8InValueDoesNotThrow) {
  std::string body = EncodeErrorBody({ErrorKind::kInvalidId, std::string("\xff\xfe")});
  EXPECT_NE(body.find("invalid_client_id"), std::string::npos);
}

TEST(ErrorKinds, StatusTable) {
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kMissingHeader), 400);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kUnknownGroup), 400);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kSemaphoreFull), 409);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kBodyTooLarge), 413);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kRateLimited), 429);
  EXPECT_EQ(ErrorKindStatus(ErrorKind::kBackendUnavailable), 503);
}

TEST(SemaphoreKeys, AirlockLayout) {
  EXPECT_EQ(SemaphoreKey("default"), "com.coreos.airlock/groups/default/v1/semaphore");
  EXPECT_EQ(HolderKey("workers", "abc"), "com.coreos.airlock/groups/workers/v1/holders/abc");
}

TEST(Semaphore, LockIsRecursiveAndBoundedUnlockIdempotent) {
  Semaphore s{2, {}};
  EXPECT_EQ(s.Lock("b"), Semaphore::LockResult::kAcquired);
  EXPECT_EQ(s.Lock("b"), Semaphore::LockResult::kAlreadyHeld);
  EXPECT_EQ(s.Lock("a"), Semaphore::LockResult::kAcquired);
  EXPECT_EQ(s.Lock("c"), Semaphore::LockResult::kFull);
  EXPECT_EQ(s.holders, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.Unlock("a"));
  EXPECT_FALSE(s.Unlock("a"));
  EXPECT_FALSE(s.Unlock("zzz"));
  EXPECT_EQ(s.Lock("c"), Semaphore::LockResult::kAcquired);
  EXPECT_EQ(s.holders, (std::vector<std::string>{"b", "c"}));
}

TEST(Semaphore, ShrunkSlotsRefuseNewButKeepHolders) {
  Semaphore s{1, {"a", "b"}};
  EXPECT_EQ(s.Lock("a"), Semaphore::LockResult::kAlreadyHeld);
  EXPECT_EQ(s.Lock("c"), Semaphore::LockResult::kFull);
}

TEST(SemaphoreCodec, AirlockValueRoundTrip) {
  // The value airlock writes: Go's json.Marshal of {TotalSlots, Holders}.
  auto s = ParseSemaphore(R"({"total_slots":3,"holders":["b","a"]})");
  ASSERT_OK(s);
  EXPECT_EQ(s->total_slots, 3u);
  EXPECT_EQ(s->holders, (std::vector<std::string>{"a", "b"}));  // sorted on read
  EXPECT_EQ(EncodeSemaphore(*s), R"({"holders":["a","b"],"total_slots":3})");
  auto empty = ParseSemaphore(R"({"total_slots":1,"holders":null})");  // Go nil slice
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->holders.empty());
  EXPECT_EQ(EncodeSemaphore(*empty), R"({"holders":[],"total_slots":1})");
}

TEST(SemaphoreCodec, CorruptionMatrix) {
  struct Case {
    const char* value;
    const char* message;
  } cases[] = {
      {"", "semaphore value is not a JSON object"},
      {"[1]", "semaphore value is not a JSON object"},
      {R"({"holders":[]})", "semaphore 'total_slots' missing or not a whole number"},
      {R"({"total_slots":-1})", "semaphore 'total_slots' missing or not a whole number"},
      {R"({"total_slots":1.5})", "semaphore 'total_slots' missing or not a whole number"},
      {R"({"total_slots":"3"})", "semaphore 'total_slots' missing or not a whole number"},
      {R"({"total_slots":100001})", "semaphore total_slots 100001 above the cap 100000"},
      {R"({"total_slots":1,"holders":{}})", "semaphore 'holders' is not an array"},
      {R"({"total_slots":1,"holders":[1]})", "semaphore holder is not a string"},
      {R"({"total_slots":1,"holders":[""]})", "semaphore holder: id is empty"},
      {R"({"total_slots":2,"holders":["a","a"]})", "semaphore lists a holder twice"},
  };
  for (const auto& c : cases) {
    auto s = ParseSemaphore(c.value);
    ASSERT_FALSE(s.ok()) << c.value;
    EXPECT_ERROR(s, ErrorCode::kCorrupt) << c.value;
    EXPECT_EQ(s.error().message(), c.message) << c.value;
  }
  std::string huge(kMaxSemaphoreValue + 1, ' ');
  EXPECT_EQ(ParseSemaphore(huge).error().message(),
            "semaphore value is 1048577 bytes (at most 1048576)");
}

}  // namespace
}  // namespace hull::fleet
