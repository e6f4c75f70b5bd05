#include "keys/keys.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "keys/varstore.h"
#include "pkcs11/key_ref.h"
#include "pkcs11/token_key.h"

namespace hull::keys {
namespace {

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

Status RunTool(std::vector<std::string> argv, const std::string& context) {
  Command cmd{.argv = std::move(argv),
              .timeout = std::chrono::seconds(60),
              .install_hint = "apt-get install efitools"};
  auto out = hull::Run(cmd);
  if (!out.ok()) return std::move(out).error().Wrap(context);
  return Ok();
}

// Reads back the store and checks each variable holds exactly its certificate.
Status CheckEnrolled(ByteSpan image, const std::string& key_dir) {
  HULL_ASSIGN_OR_RETURN(auto vars, ReadVariableStore(image));
  for (const char* name : {"PK", "KEK", "db"}) {
    HULL_ASSIGN_OR_RETURN(auto cert,
                          crypto::Certificate::Load(Join(key_dir, std::string(name) + ".crt")));
    Bytes der = cert.ToDer();
    bool found = false;
    for (const auto& v : vars) {
      if (v.name != name || v.state != kVarAdded) continue;
      HULL_ASSIGN_OR_RETURN(auto certs, X509FromSignatureLists(v.data));
      found = certs.size() == 1 && certs[0] == der;
    }
    if (!found)
      return Errorf(ErrorCode::kVerifyFailed, "{} is not enrolled in the variable store", name);
  }
  return Ok();
}

}  // namespace

Status InitKeys(const std::string& dir, const InitOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "cannot create '{}': {}", dir, ec.message());
  for (const char* name : kKeyNames) {
    for (const char* ext : {".key", ".crt"}) {
      std::string path = Join(dir, std::string(name) + ext);
      if (std::filesystem::exists(path, ec)) {
        return Errorf(ErrorCode::kAlreadyExists, "'{}' exists: refusing to overwrite", path);
      }
    }
  }
  for (const char* name : kKeyNames) {
    if (!o.pkcs11_uri.empty()) HULL_TRY(pkcs11::CheckNoTokenKey(o.pkcs11_uri, name));
  }
  // Every key and certificate is made before any file is written, so a
  // failure leaves DIR as it was.
  std::vector<std::pair<std::string, std::string>> files;  // name, content
  uint64_t serial = 1;
  for (const char* name : kKeyNames) {
    crypto::PrivateKey key;
    std::string key_file;
    if (o.pkcs11_uri.empty()) {
      HULL_ASSIGN_OR_RETURN(key, crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048));
      key_file = key.ToPem();
    } else {
      HULL_ASSIGN_OR_RETURN(
          auto made, pkcs11::GenerateTokenKey(o.pkcs11_uri, name, crypto::KeyType::kRsa2048));
      key = std::move(made.key);
      key_file = made.uri + "\n";
    }
    bool leaf = std::string(name) == "db" || std::string(name) == "verity";
    crypto::CertificateOptions co{.common_name = o.common_name_prefix + " " + name,
                                  .serial = serial++,
                                  .days = o.days,
                                  .is_ca = !leaf,
                                  .code_signing = std::string(name) == "db"};
    HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::CreateSelfSigned(key, co));
    files.emplace_back(std::string(name) + ".key", std::move(key_file));
    files.emplace_back(std::string(name) + ".crt", cert.ToPem());
  }
  for (const auto& [file, content] : files) {
    bool key = file.ends_with(".key");
    HULL_TRY(WriteFileAtomic(Join(dir, file), content, key ? 0600 : 0644));
  }
  return Ok();
}

std::vector<std::string> CertToEslArgv(const std::string& cert, const std::string& esl) {
  return {"cert-to-efi-sig-list", "-g", kHullOwnerGuid, cert, esl};
}

static std::string Timestamp(int64_t timestamp) {
  std::time_t t = std::time_t(timestamp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

static int64_t ResolveTimestamp(int64_t requested) {
  if (requested >= 0) return requested;
  int64_t ts = crypto::SourceDateEpoch();
  return ts >= 0 ? ts : int64_t(std::time(nullptr));
}

std::vector<std::string> SignEslArgv(const std::string& var, const std::string& key,
                                     const std::string& cert, const std::string& esl,
                                     const std::string& out, int64_t timestamp,
                                     const std::string& engine) {
  std::vector<std::string> argv = {"sign-efi-sig-list", "-t", Timestamp(timestamp)};
  if (!engine.empty()) argv.insert(argv.end(), {"-e", engine});
  argv.insert(argv.end(), {"-k", key, "-c", cert, var, esl, out});
  return argv;
}

namespace {
// sign-efi-sig-list with the signer's key: a PEM file, or a token key through
// the pkcs11 engine. Not RunTool for the token: its error would show the
// command line, and so the PIN.
Status SignEsl(const std::string& var, const std::string& key_file, const std::string& cert,
               const std::string& esl, const std::string& out, int64_t ts,
               const std::string& context) {
  std::string uri = pkcs11::ReferencedUri(key_file);
  if (uri.empty()) return RunTool(SignEslArgv(var, key_file, cert, esl, out, ts), context);
  HULL_ASSIGN_OR_RETURN(pkcs11::Uri parsed, pkcs11::ParseUri(uri).Context(key_file));
  HULL_ASSIGN_OR_RETURN(std::string with_pin, parsed.WithPin().Context(parsed.Public()));
  HULL_ASSIGN_OR_RETURN(
      auto r,
      RunAllowFailure(Command{.argv = SignEslArgv(var, with_pin, cert, esl, out, ts, "pkcs11"),
                              .timeout = std::chrono::seconds(60),
                              .install_hint = "apt-get install efitools"}));
  if (r.exit_code != 0 || r.term_signal != 0) {
    return Errorf(ErrorCode::kProcessFailed,
                  "{}: sign-efi-sig-list with token key '{}' failed (check the PIN and that the "
                  "token's module is registered with p11-kit)",
                  context, parsed.Public());
  }
  return Ok();
}
}  // namespace

Status MakeAuthFiles(const AuthOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "cannot create '{}': {}", o.out_dir, ec.message());
  for (const char* name : {"PK", "KEK", "db"}) {
    std::string path = Join(o.out_dir, std::string(name) + ".auth");
    if (std::filesystem::exists(path, ec)) {
      return Errorf(ErrorCode::kAlreadyExists, "'{}' exists: refusing to overwrite", path);
    }
  }
  HULL_ASSIGN_OR_RETURN(TempDir work, TempDir::Create("hull-auth"));
  int64_t ts = ResolveTimestamp(o.timestamp);
  const std::pair<const char*, const char*> kSigner[] = {
      {"PK", "PK"}, {"KEK", "PK"}, {"db", "KEK"}};
  for (const auto& [name, signer] : kSigner) {
    std::string cert = Join(o.key_dir, std::string(name) + ".crt");
    HULL_ASSIGN_OR_RETURN(auto parsed, crypto::Certificate::Load(cert));
    (void)parsed;
    std::string esl = Join(work.path(), std::string(name) + ".esl");
    std::string tmp = Join(work.path(), std::string(name) + ".auth");
    std::string context = std::string("signing ") + name + " update";
    HULL_TRY(RunTool(CertToEslArgv(cert, esl), context));
    HULL_TRY(SignEsl(name, Join(o.key_dir, std::string(signer) + ".key"),
                     Join(o.key_dir, std::string(signer) + ".crt"), esl, tmp, ts, context));
    HULL_ASSIGN_OR_RETURN(Bytes auth, ReadFileBytes(tmp, 1 << 20));
    HULL_TRY(WriteFileAtomic(Join(o.out_dir, std::string(name) + ".auth"), auth, 0644));
  }
  return Ok();
}

namespace {

// EFI_GLOBAL_VARIABLE (PK, KEK) and EFI_IMAGE_SECURITY_DATABASE_GUID (db),
// UEFI 2.10 §3.3 and §32.6.1.
constexpr const char* kGlobalVariableGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
constexpr const char* kImageSecurityDatabaseGuid = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
// NV + BS + RT + TIME_BASED_AUTHENTICATED_WRITE_ACCESS (UEFI 2.10 §8.2).
constexpr uint32_t kAuthVarAttributes = 0x27;

// The template as a flash with a variable store: AAVMF's is formatted first
// when it is still the firmware's blank.
Result<Bytes> FlashFromTemplate(const FirmwareVarsOptions& o) {
  const bool arm = o.firmware == Firmware::kArmVirt;
  const std::string path = !o.template_path.empty() ? o.template_path
                           : arm                    ? kArmVirtVarsTemplate
                                                    : kDefaultVarsTemplate;
  HULL_ASSIGN_OR_RETURN(
      Bytes flash, ReadFileBytes(path, 128 << 20)
                       .Context(arm ? "AAVMF variable template (apt-get install qemu-efi-aarch64)"
                                    : "OVMF variable template (apt-get install ovmf)"));
  if (arm) {
    auto store = ReadVariableStore(flash);
    if (!store.ok() && store.error().code() == ErrorCode::kNotFound) {
      HULL_TRY(FormatArmVirtVarStore(flash).Context(path));
    }
  }
  return flash;
}

}  // namespace

Status MakeFirmwareVars(const FirmwareVarsOptions& o) {
  HULL_ASSIGN_OR_RETURN(Bytes flash, FlashFromTemplate(o));
  HULL_ASSIGN_OR_RETURN(TempDir work, TempDir::Create("hull-vars"));
  int64_t ts = ResolveTimestamp(o.timestamp);
  for (const char* name : {"PK", "KEK", "db"}) {
    std::string cert = Join(o.key_dir, std::string(name) + ".crt");
    // Validates the certificate before handing it to the tool.
    HULL_ASSIGN_OR_RETURN(auto parsed, crypto::Certificate::Load(cert));
    (void)parsed;
    std::string esl = Join(work.path(), std::string(name) + ".esl");
    const std::string context = std::string("enrolling ") + name;
    HULL_TRY(RunTool(CertToEslArgv(cert, esl), context));
    HULL_ASSIGN_OR_RETURN(Bytes list, ReadFileBytes(esl, 1 << 20).Context(context));
    const bool db = std::string_view(name) == "db";
    HULL_TRY(AppendVariable(flash, {.name = name,
                                    .vendor = *Uuid::Parse(db ? kImageSecurityDatabaseGuid
                                                              : kGlobalVariableGuid),
                                    .attributes = kAuthVarAttributes,
                                    .timestamp = ts,
                                    .data = std::move(list)})
                 .Context(context));
  }
  Status enrolled = CheckEnrolled(flash, o.key_dir);
  if (!enrolled.ok()) return std::move(enrolled).error().Wrap("reading back " + o.out);
  return WriteFileAtomic(o.out, flash, 0644);
}

}  // namespace hull::keys
