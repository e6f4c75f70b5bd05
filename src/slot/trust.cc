#include "slot/trust.h"

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "pe/authenticode.h"
#include "slot/installer.h"
#include "verity/signature.h"

namespace hull::slot {
namespace {
namespace fs = std::filesystem;

Result<std::vector<crypto::Certificate>> LoadKind(const std::string& dir) {
  std::vector<crypto::Certificate> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".crt") files.push_back(e.path().string());
  }
  if (ec) return ErrnoError(ec.value(), "listing", dir);
  std::sort(files.begin(), files.end());
  if (files.size() > kMaxTrustCerts)
    return Errorf(ErrorCode::kInvalidArgument, "{}: {} certificates, at most {}", dir, files.size(),
                  kMaxTrustCerts);
  for (const std::string& f : files) {
    HULL_ASSIGN_OR_RETURN(Bytes raw, ReadFileBytes(f, kMaxTrustCertBytes));
    HULL_ASSIGN_OR_RETURN(auto cert, ParseTrustCertificate(raw, f));
    out.push_back(std::move(cert));
  }
  return out;
}

const crypto::Certificate* Find(const std::vector<crypto::Certificate>& certs,
                                const std::string& fingerprint) {
  for (const auto& c : certs)
    if (HexEncode(c.Fingerprint()) == fingerprint) return &c;
  return nullptr;
}

Result<uint64_t> Size(const nlohmann::json& sizes, const char* key) {
  auto it = sizes.find(key);
  if (it == sizes.end() || !it->is_number_unsigned())
    return Errorf(ErrorCode::kCorrupt, "release declaration: sizes.{} must be a byte count", key);
  return it->get<uint64_t>();
}

Result<std::string> Fingerprint(const nlohmann::json& signers, const char* key) {
  auto it = signers.find(key);
  if (it == signers.end()) return std::string();
  if (!it->is_string() || it->get<std::string>().size() != 64 ||
      it->get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos)
    return Errorf(ErrorCode::kCorrupt,
                  "release declaration: signers.{} must be 64 lowercase hex digits", key);
  return it->get<std::string>();
}

}  // namespace

Result<crypto::Certificate> ParseTrustCertificate(ByteSpan raw, const std::string& name) {
  std::string_view text = AsChars(raw);
  auto cert = text.find("-----BEGIN") != std::string_view::npos ? crypto::Certificate::FromPem(text)
                                                                : crypto::Certificate::FromDer(raw);
  if (!cert.ok()) return Errorf(ErrorCode::kCorrupt, "{}: not a certificate", name);
  return cert;
}

Result<TrustSet> LoadTrustSet(const std::string& dir) {
  TrustSet t;
  t.dir = dir;
  HULL_ASSIGN_OR_RETURN(t.db, LoadKind(dir + "/db"));
  HULL_ASSIGN_OR_RETURN(t.verity, LoadKind(dir + "/verity"));
  return t;
}

nlohmann::json DeclarationJson(const Declaration& d) {
  nlohmann::json signers = nlohmann::json::object();
  if (!d.verity_signer.empty()) signers["verity"] = d.verity_signer;
  if (!d.uki_signer.empty()) signers["uki"] = d.uki_signer;
  return {{"sizes", {{"usr", d.usr}, {"verity", d.verity}, {"uki", d.uki}}}, {"signers", signers}};
}

Result<Declaration> ParseDeclaration(const nlohmann::json& release) {
  if (!release.is_object() || !release.contains("sizes") || !release["sizes"].is_object() ||
      !release.contains("signers") || !release["signers"].is_object())
    return Error(ErrorCode::kCorrupt, "release declaration: needs objects 'sizes' and 'signers'");
  Declaration d;
  const nlohmann::json& sizes = release["sizes"];
  HULL_ASSIGN_OR_RETURN(d.usr, Size(sizes, "usr"));
  HULL_ASSIGN_OR_RETURN(d.verity, Size(sizes, "verity"));
  HULL_ASSIGN_OR_RETURN(d.uki, Size(sizes, "uki"));
  HULL_ASSIGN_OR_RETURN(d.verity_signer, Fingerprint(release["signers"], "verity"));
  HULL_ASSIGN_OR_RETURN(d.uki_signer, Fingerprint(release["signers"], "uki"));
  return d;
}

Result<Signers> CheckBeforeDownload(const std::string& version, const PieceLengths& lengths,
                                    const std::optional<Declaration>& declared, const Slot& target,
                                    const TrustSet& trust) {
  if (declared) {
    for (auto [what, said, signed_length] : {std::tuple{"usr", declared->usr, lengths.usr},
                                             {"verity", declared->verity, lengths.verity},
                                             {"uki", declared->uki, lengths.uki}}) {
      if (said != signed_length)
        return Errorf(ErrorCode::kVerifyFailed,
                      "release {}: declares {} of {} bytes, its target has {}", version, what, said,
                      signed_length);
    }
  }
  HULL_TRY(CheckFits(target, lengths.usr, lengths.verity, lengths.signature)
               .Context(fmt::format("release {}", version)));
  if (lengths.uki > kMaxUkiBytes)
    return Errorf(ErrorCode::kRefused, "release {}: UKI of {} bytes, at most {}", version,
                  lengths.uki, kMaxUkiBytes);
  Signers s;
  if (trust.empty()) return s;
  if (!declared)
    return Errorf(ErrorCode::kRefused,
                  "release {}: declares no signers, and this node checks them against its trust "
                  "set ({}); republish it with this hull release add",
                  version, trust.dir);
  for (auto [what, kind, certs, fp, out] :
       {std::tuple{"root hash", "verity", &trust.verity, declared->verity_signer, &s.verity},
        {"UKI", "db", &trust.db, declared->uki_signer, &s.db}}) {
    if (certs->empty()) continue;
    if (fp.empty())
      return Errorf(ErrorCode::kRefused,
                    "release {}: declares no signer of its {}, and this node trusts only the "
                    "certificates in {}/{}",
                    version, what, trust.dir, kind);
    *out = Find(*certs, fp);
    if (!*out)
      return Errorf(ErrorCode::kRefused,
                    "release {}: its {} is signed by certificate {}, which is not in the node's "
                    "trust set ({}/{})",
                    version, what, fp, trust.dir, kind);
  }
  return s;
}

Status VerifySigners(const std::string& version, ByteSpan uki, ByteSpan signature_partition,
                     const Signers& signers) {
  const std::string context = fmt::format("release {}", version);
  if (signers.db)
    HULL_TRY(pe::VerifyImage(uki, *signers.db)
                 .Context(fmt::format("{}: UKI signature ({})", context, signers.db->Subject())));
  if (signers.verity) {
    HULL_ASSIGN_OR_RETURN(auto sig, verity::DecodeSignaturePartition(signature_partition)
                                        .Context(context + ": signature partition"));
    HULL_TRY(verity::VerifyRootHashSignature(sig.root_hash, sig.signature, *signers.verity)
                 .Context(fmt::format("{}: root hash signature ({})", context,
                                      signers.verity->Subject())));
  }
  return Ok();
}

}  // namespace hull::slot
