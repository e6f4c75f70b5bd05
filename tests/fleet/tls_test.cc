// Oracle: who may lock. Certificates are made by openssl in the test; the
// server serves real TLS (in-process FleetLockServer, real etcd) and clients
// are libcurl. Rows: no certificate, a certificate of another CA, another
// node's id, an operator endpoint with a node certificate -> the exact
// refusal (the TLS alert, or the HTTP status and kind); the CN or a DNS SAN
// is the node's identity. Then the etcd client against an etcd started with
// TLS, client-certificate auth and user/password auth.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "base/subprocess.h"
#include "fleet/client.h"
#include "fleet/etcd.h"
#include "fleet/fixture.h"
#include "fleet/lock_service.h"
#include "fleet/releases.h"
#include "fleet/server.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;
using testing::ClientTls;
using testing::Etcd;
using ::testing::HasSubstr;
using testing::RawRequest;

// node CA: the server, node-a (CN), node-b (CN "other", SAN DNS:node-b),
// etcd's root (CN) and a client certificate without CN ("nobody": etcd's
// gateway refuses a CN it would ignore once auth is on); operator CA: alice;
// rogue CA: a second "node-a".
constexpr const char* kCerts = R"sh(
mkca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout $1.key -out $1.pem -subj /CN=$1 -days 2 2>/dev/null; }
mkcert() { # name ca cn ext
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key \
    -out $1.csr -subj "$3" 2>/dev/null
  printf '%b' "$4" > $1.ext
  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem \
    -days 2 -extfile $1.ext 2>/dev/null; }
mkca nodes-ca; mkca operators-ca; mkca rogue-ca
mkcert server nodes-ca /CN=localhost "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"
mkcert node-a nodes-ca /CN=node-a "extendedKeyUsage=clientAuth"
mkcert node-b nodes-ca /CN=other "subjectAltName=DNS:node-b\nextendedKeyUsage=clientAuth"
mkcert alice operators-ca /CN=alice "extendedKeyUsage=clientAuth"
mkcert rogue rogue-ca /CN=node-a "extendedKeyUsage=clientAuth"
mkcert root nodes-ca /CN=root "extendedKeyUsage=clientAuth"
mkcert nobody nodes-ca /O=hull-fleetlock "extendedKeyUsage=clientAuth"
# bmp: a CN of type BMPString whose UTF-16 bytes read "node-a" (U+6E6F
# U+6465 U+2D61); string_mask pkix makes openssl encode it as BMPString.
printf '[req]\ndistinguished_name=dn\nstring_mask=pkix\nutf8=yes\n[dn]\n' > bmp.cnf
openssl req -config bmp.cnf -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout bmp.key \
  -out bmp.csr -subj "/CN=$(printf '\346\271\257\346\221\245\342\265\241')" 2>/dev/null
printf 'extendedKeyUsage=clientAuth' > bmp.ext
openssl x509 -req -in bmp.csr -CA nodes-ca.pem -CAkey nodes-ca.key -CAcreateserial -out bmp.pem \
  -days 2 -extfile bmp.ext 2>/dev/null
openssl asn1parse -in bmp.pem | grep -q BMPSTRING
)sh";

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("fleet-tls");
    ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    ASSERT_OK(testing::RunScript(dir_->path(), kCerts));
  }
  std::string F(const std::string& name) { return dir_->path() + "/" + name; }
  ClientTls As(const std::string& who) {
    if (who.empty()) return {F("nodes-ca.pem"), "", ""};
    return {F("nodes-ca.pem"), F(who + ".pem"), F(who + ".key")};
  }
  std::unique_ptr<TempDir> dir_;
};

std::string Body(const std::string& id, const std::string& extra = "") {
  return R"({"client_params":{"id":")" + id + R"(","group":"default")" + extra + "}}";
}

TEST_F(Tls, ClientCertificatesDecideWhoMayLock) {
  auto etcd = Etcd::Start(dir_->path());
  ASSERT_OK(etcd);
  ASSERT_OK_AND_ASSIGN(auto client, EtcdClient::Create({(*etcd)->url()}));
  LockService service(*client, {{{"default", 2}}, 0s, 64});
  ASSERT_OK(service.EnsureGroups());
  ReleaseTracker releases(*client, {1, 0});
  ServerOptions o;
  o.releases = &releases;
  o.tls = {F("server.pem"), F("server.key"), F("nodes-ca.pem"), F("operators-ca.pem")};
  FleetLockServer server(service, o);
  ASSERT_OK_AND_ASSIGN(int port, server.Bind());
  server.Start();
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  const std::vector<std::string> hdr{"fleet-lock-protocol: true"};

  // No certificate, and a certificate of another CA naming the same node:
  // the server ends the handshake. Under TLS 1.2 the alert reaches the
  // client within its handshake (handshake_failure, unknown_ca); under TLS
  // 1.3 it may arrive after the client sent its request, so only the failure
  // is certain there.
  for (bool tls12 : {true, false}) {
    ClientTls none_tls = As(""), rogue_tls = As("rogue");
    none_tls.tls12 = rogue_tls.tls12 = tls12;
    auto none = RawRequest("POST", base + "/v1/pre-reboot", hdr, Body("node-a"), none_tls);
    EXPECT_ERROR(none, ErrorCode::kUnavailable);
    if (!none && tls12) {
      EXPECT_THAT(none.error().message(), HasSubstr("alert handshake failure"));
    }
    auto rogue = RawRequest("POST", base + "/v1/pre-reboot", hdr, Body("node-a"), rogue_tls);
    EXPECT_ERROR(rogue, ErrorCode::kUnavailable);
    if (!rogue && tls12) {
      EXPECT_THAT(rogue.error().message(), HasSubstr("alert unknown ca"));
    }
  }

  // Own id by CN and by DNS SAN: granted.
  ASSERT_OK_AND_ASSIGN(
      auto a, RawRequest("POST", base + "/v1/pre-reboot", hdr, Body("node-a"), As("node-a")));
  EXPECT_EQ(a.status, 200) << a.body;
  ASSERT_OK_AND_ASSIGN(
      auto b, RawRequest("POST", base + "/v1/pre-reboot", hdr, Body("node-b"), As("node-b")));
  EXPECT_EQ(b.status, 200) << b.body;
  // node-b's certificate has CN "other": only its SAN counts as well as the CN.
  // Another node's id: node-a cannot free node-b's slot.
  for (const char* ep : {"/v1/steady-state", "/v1/pre-reboot"}) {
    ASSERT_OK_AND_ASSIGN(auto x, RawRequest("POST", base + ep, hdr, Body("node-b"), As("node-a")));
    EXPECT_EQ(x.status, 403) << ep;
    EXPECT_EQ(x.body, R"({"kind":"certificate_id_mismatch","value":"client id 'node-b' is not an )"
                      R"(identity of the client certificate"})");
  }
  // A BMPString CN is no identity, though its bytes read "node-a".
  ASSERT_OK_AND_ASSIGN(auto bmp,
                       RawRequest("POST", base + "/v1/pre-reboot", hdr, Body("node-a"), As("bmp")));
  EXPECT_EQ(bmp.status, 403) << bmp.body;
  EXPECT_THAT(bmp.body, HasSubstr(R"("kind":"certificate_id_mismatch")"));
  // The node's own transport (http/post.h, NetworkPoster) presents its
  // client certificate; without one the handshake fails.
  NetworkPoster with_cert(10s, F("nodes-ca.pem"), F("node-a.pem"), F("node-a.key"));
  FleetLockClient node_a(with_cert, base, ClientParams{"node-a", "default"});
  EXPECT_OK(node_a.PreReboot());
  NetworkPoster without_cert(10s, F("nodes-ca.pem"));
  FleetLockClient anonymous(without_cert, base, ClientParams{"node-a", "default"});
  EXPECT_ERROR(anonymous.PreReboot(), ErrorCode::kUnavailable);
  NetworkPoster wrong_key(10s, F("nodes-ca.pem"), F("node-a.pem"), F("node-b.key"));
  FleetLockClient mismatched(wrong_key, base, ClientParams{"node-a", "default"});
  EXPECT_ERROR(mismatched.PreReboot(), ErrorCode::kInvalidArgument);
  auto sem = testing::EtcdctlGet((*etcd)->url(), SemaphoreKey("default"));
  ASSERT_OK(sem);
  EXPECT_EQ(*sem, R"({"holders":["node-a","node-b"],"total_slots":2})");
  // The operator's certificate is no node either.
  ASSERT_OK_AND_ASSIGN(auto op_lock, RawRequest("POST", base + "/v1/steady-state", hdr,
                                                Body("node-a"), As("alice")));
  EXPECT_EQ(op_lock.status, 403);

  // Operator endpoints with a node certificate: refused; with alice's: served.
  for (const char* ep : {"/v1/status", "/metrics", "/"}) {
    ASSERT_OK_AND_ASSIGN(auto x, RawRequest("GET", base + ep, {}, "", As("node-a")));
    EXPECT_EQ(x.status, 403) << ep;
    EXPECT_EQ(x.body, R"({"kind":"operator_certificate_required","value":"this endpoint needs a )"
                      R"(certificate of the operator CA"})")
        << ep;
    ASSERT_OK_AND_ASSIGN(auto ok, RawRequest("GET", base + ep, {}, "", As("alice")));
    EXPECT_EQ(ok.status, 200) << ep;
  }
  ASSERT_OK_AND_ASSIGN(auto resume_node, RawRequest("POST", base + "/v1/resume", {},
                                                    R"({"version":"1"})", As("node-a")));
  EXPECT_EQ(resume_node.status, 403);
  EXPECT_EQ(resume_node.body,
            R"({"kind":"operator_certificate_required","value":"this endpoint needs a )"
            R"(certificate of the operator CA"})");

  // Reports: a node reports only for itself; the halt and its resume.
  const std::string hull = R"(,"hull":{"version":"7","flavor":"f","arch":"amd64"})";
  ASSERT_OK_AND_ASSIGN(
      auto s1, RawRequest("POST", base + "/v1/steady-state", hdr, Body("node-a"), As("node-a")));
  ASSERT_OK_AND_ASSIGN(auto p1, RawRequest("POST", base + "/v1/pre-reboot", hdr,
                                           Body("node-a", hull), As("node-a")));
  EXPECT_EQ(p1.status, 200) << p1.body;
  std::string report = R"({"client_params":{"id":"node-b")" + hull + R"(},"result":"rolled-back"})";
  ASSERT_OK_AND_ASSIGN(auto forged,
                       RawRequest("POST", base + "/v1/report", hdr, report, As("node-a")));
  EXPECT_EQ(forged.status, 403);
  report = R"({"client_params":{"id":"node-a")" + hull + R"(},"result":"rolled-back"})";
  ASSERT_OK_AND_ASSIGN(auto real,
                       RawRequest("POST", base + "/v1/report", hdr, report, As("node-a")));
  EXPECT_EQ(real.status, 200) << real.body;
  ASSERT_OK_AND_ASSIGN(auto halted, RawRequest("POST", base + "/v1/pre-reboot", hdr,
                                               Body("node-b", hull), As("node-b")));
  EXPECT_EQ(halted.status, 409);
  EXPECT_THAT(halted.body, HasSubstr(R"("kind":"hull_release_halted")"));
  ASSERT_OK_AND_ASSIGN(
      auto resumed, RawRequest("POST", base + "/v1/resume", {}, R"({"version":"7"})", As("alice")));
  EXPECT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.body, R"({"resumed":[{"arch":"amd64","flavor":"f","version":"7"}]})");
  server.Stop();
}

TEST_F(Tls, ServeFlagsEndToEnd) {
  auto etcd = Etcd::Start(dir_->path());
  ASSERT_OK(etcd);
  int port = testing::FreePort();
  auto child = testing::Child::Spawn(
      {testing::HullBin(), "fleetlock", "serve", "--listen", "127.0.0.1:" + std::to_string(port),
       "--etcd", (*etcd)->url(), "--tls-cert", F("server.pem"), "--tls-key", F("server.key"),
       "--client-ca", F("nodes-ca.pem"), "--operator-ca", F("operators-ca.pem"), "--halt-after",
       "1"},
      F("serve.log"));
  ASSERT_OK(child);
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  Result<testing::RawReply> op = Error(ErrorCode::kUnavailable, "not started");
  for (int i = 0; i < 100 && !op.ok(); ++i) {
    std::this_thread::sleep_for(50ms);
    op = RawRequest("GET", base + "/v1/status", {}, "", As("alice"));
  }
  ASSERT_OK(op);
  EXPECT_EQ(op->status, 200);
  ASSERT_OK_AND_ASSIGN(auto node, RawRequest("GET", base + "/v1/status", {}, "", As("node-a")));
  EXPECT_EQ(node.status, 403);
  ASSERT_OK_AND_ASSIGN(auto lock,
                       RawRequest("POST", base + "/v1/pre-reboot", {"fleet-lock-protocol: true"},
                                  Body("node-b"), As("node-a")));
  EXPECT_EQ(lock.status, 403);
  EXPECT_THAT(lock.body, HasSubstr("certificate_id_mismatch"));
  // The node's own transport (the agent's, http/post.h) with the client
  // certificate of update.fleetlock.{ca,cert,key}: granted, then freed.
  NetworkPoster agent_http(10s, F("nodes-ca.pem"), F("node-a.pem"), F("node-a.key"));
  FleetLockClient agent(agent_http, base, ClientParams{"node-a", "default"});
  EXPECT_OK(agent.PreReboot());
  EXPECT_OK(agent.SteadyState());
  (*child)->Stop(SIGTERM);
  ASSERT_OK(
      testing::RunScript(dir_->path(), "grep -q 'https, client certificates required' serve.log"));
}

// `hull fleetlock resume --server`: the operator endpoint over HTTPS, from
// the CLI, against `hull fleetlock serve` with client certificates.
TEST_F(Tls, ResumeOverHttpsNeedsAnOperatorCertificate) {
  auto etcd = Etcd::Start(dir_->path());
  ASSERT_OK(etcd);
  int port = testing::FreePort();
  auto child = testing::Child::Spawn(
      {testing::HullBin(), "fleetlock", "serve", "--listen", "127.0.0.1:" + std::to_string(port),
       "--etcd", (*etcd)->url(), "--tls-cert", F("server.pem"), "--tls-key", F("server.key"),
       "--client-ca", F("nodes-ca.pem"), "--operator-ca", F("operators-ca.pem"), "--halt-after",
       "1"},
      F("serve.log"));
  ASSERT_OK(child);
  const std::string base = "https://127.0.0.1:" + std::to_string(port) + "/";
  Result<testing::RawReply> op = Error(ErrorCode::kUnavailable, "not started");
  for (int i = 0; i < 100 && !op.ok(); ++i) {
    std::this_thread::sleep_for(50ms);
    op = RawRequest("GET", base + "v1/status", {}, "", As("alice"));
  }
  ASSERT_OK(op);
  // node-a boots release 7 and rolls back: halted after 1 failure.
  NetworkPoster node_http(10s, F("nodes-ca.pem"), F("node-a.pem"), F("node-a.key"));
  FleetLockClient node(node_http, base, ClientParams{"node-a", "default"});
  node.set_hull(HullParams{"202612.05.0", "f", "amd64"});
  ASSERT_OK(node.PreReboot());
  ASSERT_OK(node.Report(ReportResult::kRolledBack));
  ASSERT_OK(node.SteadyState());
  EXPECT_ERROR(node.PreReboot(), ErrorCode::kRefused);
  EXPECT_EQ(node.last_kind(), "hull_release_halted");

  auto resume = [&](const std::vector<std::string>& tls) {
    std::vector<std::string> argv = {testing::HullBin(), "fleetlock", "resume",
                                     "202612.05.0",      "--server",  base};
    argv.insert(argv.end(), tls.begin(), tls.end());
    auto r = RunAllowFailure(Command{.argv = argv, .timeout = 60s});
    EXPECT_OK(r);
    return r.ok() ? *r : ProcessOutput{.exit_code = -1};
  };
  const std::string ca = F("nodes-ca.pem");
  // A node's certificate: the server's refusal, exit 1.
  ProcessOutput as_node = resume({"--ca", ca, "--cert", F("node-a.pem"), "--key", F("node-a.key")});
  EXPECT_EQ(as_node.exit_code, 1) << as_node.err;
  EXPECT_THAT(as_node.err, HasSubstr("operator_certificate_required (HTTP 403): this endpoint "
                                     "needs a certificate of the operator CA"));
  // No certificate, another CA's: no handshake (exit 2).
  for (const std::vector<std::string>& tls :
       {std::vector<std::string>{"--ca", ca},
        std::vector<std::string>{"--ca", ca, "--cert", F("rogue.pem"), "--key", F("rogue.key")}}) {
    ProcessOutput x = resume(tls);
    EXPECT_EQ(x.exit_code, 2) << x.err;
    EXPECT_THAT(x.err, HasSubstr("fleetlock resume"));
  }
  // --cert without --key: a usage error before any request.
  ProcessOutput half = resume({"--ca", ca, "--cert", F("alice.pem")});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_THAT(half.err, HasSubstr("--cert and --key go together"));
  // Still halted.
  EXPECT_ERROR(node.PreReboot(), ErrorCode::kRefused);
  // The operator: resumed; then there is nothing left to resume (exit 2).
  ProcessOutput ok = resume({"--ca", ca, "--cert", F("alice.pem"), "--key", F("alice.key")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "resumed 202612.05.0 f/amd64\n");
  EXPECT_OK(node.PreReboot());
  ProcessOutput again = resume({"--ca", ca, "--cert", F("alice.pem"), "--key", F("alice.key")});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_THAT(again.err, HasSubstr("not_found (HTTP 404)"));
  (*child)->Stop(SIGTERM);
}

TEST_F(Tls, EtcdClientWithTlsClientCertificateAndPassword) {
  // Simple tokens live 1 s, so the client must re-authenticate mid-test.
  testing::EtcdTls tls{F("server.pem"), F("server.key"), F("nodes-ca.pem"),
                       F("root.pem"),   F("root.key"),   {"--auth-token-ttl", "1"}};
  auto etcd = Etcd::Start(dir_->path(), tls);
  ASSERT_OK(etcd);
  const std::string url = (*etcd)->url();
  ASSERT_EQ(url.rfind("https://", 0), 0u);
  // Auth on, with a user that may touch only the FleetLock prefixes.
  std::string ctl = "ETCDCTL_API=3 etcdctl --endpoints " + url + " --cacert nodes-ca.pem " +
                    "--cert root.pem --key root.key ";
  ASSERT_OK(testing::RunScript(
      dir_->path(),
      ctl + "user add root --new-user-password rootpw >/dev/null\n" + ctl +
          "user add fleet --new-user-password 's3cret' >/dev/null\n" + ctl +
          "role add fleet >/dev/null\n" + ctl +
          "role grant-permission fleet --prefix=true readwrite com.coreos.airlock/ >/dev/null\n" +
          ctl + "role grant-permission fleet --prefix=true readwrite hull.fleetlock/ >/dev/null\n" +
          ctl + "user grant-role fleet fleet >/dev/null\n" + ctl + "auth enable >/dev/null\n"));

  EtcdAuth good{F("nodes-ca.pem"), F("nobody.pem"), F("nobody.key"), "fleet", "s3cret"};
  ASSERT_OK_AND_ASSIGN(auto client, EtcdClient::Create({url}, 3s, good));
  LockService service(*client, {{{"default", 1}}, 0s, 64});
  ASSERT_OK(service.EnsureGroups());
  ASSERT_OK_AND_ASSIGN(bool got, service.PreReboot({"n1", "default"}));
  EXPECT_TRUE(got);
  ASSERT_OK_AND_ASSIGN(auto snap, service.Snapshot());
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].semaphore.holders, std::vector<std::string>{"n1"});
  // The token expired: etcd answers 401 and the client gets a new one.
  std::this_thread::sleep_for(2500ms);
  ASSERT_OK_AND_ASSIGN(got, service.PreReboot({"n1", "default"}));
  EXPECT_FALSE(got);

  // Wrong password: refused by etcd.
  EtcdAuth bad = good;
  bad.password = "wrong";
  ASSERT_OK_AND_ASSIGN(auto c_bad, EtcdClient::Create({url}, 3s, bad));
  auto r_bad = c_bad->Get(SemaphoreKey("default"));
  EXPECT_ERROR(r_bad, ErrorCode::kRefused);
  if (!r_bad) {
    EXPECT_THAT(r_bad.error().message(), HasSubstr("authentication as 'fleet' refused"));
  }
  // No user: the certificate's CN ("nobody") is no etcd user.
  EtcdAuth anon = good;
  anon.user.clear();
  anon.password.clear();
  ASSERT_OK_AND_ASSIGN(auto c_anon, EtcdClient::Create({url}, 3s, anon));
  EXPECT_FALSE(c_anon->Get(SemaphoreKey("default")).ok());
  // No CA: etcd's certificate does not verify.
  EtcdAuth no_ca = good;
  no_ca.cacert.clear();
  ASSERT_OK_AND_ASSIGN(auto c_noca, EtcdClient::Create({url}, 3s, no_ca));
  EXPECT_ERROR(c_noca->Get(SemaphoreKey("default")), ErrorCode::kUnavailable);
  // No client certificate: etcd (--client-cert-auth) ends the handshake.
  EtcdAuth no_cert = good;
  no_cert.cert.clear();
  no_cert.key.clear();
  ASSERT_OK_AND_ASSIGN(auto c_nocert, EtcdClient::Create({url}, 3s, no_cert));
  EXPECT_ERROR(c_nocert->Get(SemaphoreKey("default")), ErrorCode::kUnavailable);

  // The CLI's flags, end to end.
  ASSERT_OK(WriteFileAtomic(F("pw"), std::string("s3cret\n")));
  auto out = hull::Run(Command{
      .argv = {testing::HullBin(), "fleetlock", "status", "--json", "--etcd", url, "--etcd-cacert",
               F("nodes-ca.pem"), "--etcd-cert", F("nobody.pem"), "--etcd-key", F("nobody.key"),
               "--etcd-user", "fleet", "--etcd-password-file", F("pw")},
      .timeout = 30s});
  ASSERT_OK(out);
  auto j = nlohmann::json::parse(out->out);
  EXPECT_EQ(j["groups"][0]["holders"], nlohmann::json::array({"n1"}));
  auto cli_bad = hull::RunAllowFailure(
      Command{.argv = {testing::HullBin(), "fleetlock", "status", "--etcd", url, "--etcd-cacert",
                       F("nodes-ca.pem"), "--etcd-cert", F("nobody.pem"), "--etcd-key",
                       F("nobody.key"), "--etcd-user", "fleet"},
              .timeout = 30s});
  ASSERT_OK(cli_bad);
  EXPECT_EQ(cli_bad->exit_code, 1) << cli_bad->err;
  EXPECT_THAT(cli_bad->err, HasSubstr("authentication as 'fleet' refused"));
}

}  // namespace
}  // namespace hull::fleet
