#include "oci/openpgp.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>

#include "crypto/base64.h"
#include "crypto/digest.h"

namespace hull::oci {
namespace {

// RFC 4880 §9.1, §9.4, §5.2.1, §5.2.3.1, §5.11.
constexpr uint8_t kAlgRsa = 1, kAlgEdDsa = 22;
constexpr uint8_t kHashSha256 = 8;
constexpr uint8_t kSigBinary = 0x00, kSigPositiveCert = 0x13;
constexpr uint8_t kTagSignature = 2, kTagOnePass = 4, kTagPublicKey = 6, kTagLiteral = 11,
                  kTagUserId = 13;
constexpr uint8_t kSubCreated = 2, kSubIssuer = 16, kSubKeyFlags = 27, kSubIssuerFpr = 33;
constexpr uint8_t kKeyFlagsCertifySign = 0x03;
// Ed25519's OID in GnuPG's EdDSA keys (RFC 9580 §9.2, "Ed25519Legacy").
constexpr uint8_t kEd25519Oid[] = {0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01};

// A multiprecision integer (§3.2): bit count, then the big-endian bytes
// without leading zero bytes.
void PutMpi(ByteWriter& out, ByteSpan be) {
  size_t i = 0;
  while (i < be.size() && be[i] == 0) ++i;
  const ByteSpan v = be.subspan(i);
  uint32_t bits = 0;
  if (!v.empty()) {
    bits = static_cast<uint32_t>(8 * (v.size() - 1));
    for (uint8_t top = v[0]; top; top >>= 1) ++bits;
  }
  out.Be16(static_cast<uint16_t>(bits));
  out.Append(v);
}

// A new-format packet (§4.2.2): tag, one-, two- or five-octet length, body.
void PutPacket(ByteWriter& out, uint8_t tag, ByteSpan body) {
  out.U8(static_cast<uint8_t>(0xC0 | tag));
  const size_t n = body.size();
  if (n < 192) {
    out.U8(static_cast<uint8_t>(n));
  } else if (n < 8384) {
    out.U8(static_cast<uint8_t>(((n - 192) >> 8) + 192));
    out.U8(static_cast<uint8_t>((n - 192) & 0xFF));
  } else {
    out.U8(0xFF);
    out.Be32(static_cast<uint32_t>(n));
  }
  out.Append(body);
}

void PutSubpacket(ByteWriter& out, uint8_t type, ByteSpan body) {
  out.U8(static_cast<uint8_t>(body.size() + 1));  // every one here is < 192
  out.U8(type);
  out.Append(body);
}

Result<Bytes> BigNumParam(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    return Errorf(ErrorCode::kInternal, "the RSA key has no {}", name);
  }
  std::unique_ptr<BIGNUM, decltype(&BN_free)> owned(bn, BN_free);
  Bytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

// How a key enters a hash (§5.2.4, §12.2): 0x99, the public-key packet
// body's length (2 bytes), the body. The fingerprint and a certification
// both start so.
Bytes KeyHashPrefix(const OpenPgpKey& key) {
  ByteWriter out;
  out.U8(0x99);
  out.Be16(static_cast<uint16_t>(key.body.size()));
  out.Append(key.body);
  return out.Take();
}

uint8_t AlgorithmOf(const OpenPgpKey& key) {
  return key.key.type() == crypto::KeyType::kEd25519 ? kAlgEdDsa : kAlgRsa;
}

// A v4 signature packet (§5.2.3) over `hashed_prefix` (the data or key
// material the signature type names), signed through `signer`.
Result<Bytes> SignaturePacket(const OpenPgpKey& key, uint8_t type, ByteSpan hashed_prefix,
                              ByteSpan extra_hashed, uint32_t created, crypto::Signer& signer,
                              const crypto::SigningItem& item, std::string_view kind) {
  ByteWriter hashed;
  uint8_t t[4];
  StoreBe32(t, created);
  PutSubpacket(hashed, kSubCreated, t);
  ByteWriter fpr;
  fpr.U8(4);
  fpr.Append(key.fingerprint);
  PutSubpacket(hashed, kSubIssuerFpr, fpr.bytes());
  hashed.Append(extra_hashed);
  ByteWriter body;
  for (uint8_t b : {uint8_t{4}, type, AlgorithmOf(key), kHashSha256}) body.U8(b);
  body.Be16(static_cast<uint16_t>(hashed.size()));
  body.Append(hashed.bytes());
  // What is hashed: the prefix, the signature's fields up to here, and the
  // v4 trailer (§5.2.4).
  ByteWriter message;
  message.Append(hashed_prefix);
  message.Append(body.bytes());
  message.U8(4);
  message.U8(0xFF);
  message.Be32(static_cast<uint32_t>(body.size()));
  const Bytes digest = crypto::Sha256(message.bytes());
  ByteWriter unhashed;
  PutSubpacket(unhashed, kSubIssuer, key.KeyId());
  body.Be16(static_cast<uint16_t>(unhashed.size()));
  body.Append(unhashed.bytes());
  body.U8(digest[0]);
  body.U8(digest[1]);
  // RSA signs the message under EMSA-PKCS1-v1_5 with SHA-256, what §5.2.2
  // asks; EdDSA signs the digest itself (§5.2.3, RFC 9580 §5.2.3.3).
  const bool ed = AlgorithmOf(key) == kAlgEdDsa;
  HULL_ASSIGN_OR_RETURN(Bytes sig,
                        signer.Sign({.item = item,
                                     .kind = std::string(kind),
                                     .algorithm = ed ? crypto::SignatureAlgorithm::kEd25519
                                                     : crypto::SignatureAlgorithm::kRsaPkcs1Sha256,
                                     .key = key.key,
                                     .message = ed ? ByteSpan(digest) : message.bytes()}));
  if (ed) {
    if (sig.size() != 64) {
      return Errorf(ErrorCode::kBadSignature, "an Ed25519 signature is 64 bytes, not {}",
                    sig.size());
    }
    PutMpi(body, ByteSpan(sig).first(32));
    PutMpi(body, ByteSpan(sig).subspan(32));
  } else {
    PutMpi(body, sig);
  }
  ByteWriter packet;
  PutPacket(packet, kTagSignature, body.bytes());
  return packet.Take();
}

uint32_t Crc24(ByteSpan data) {
  uint32_t crc = 0xB704CE;
  for (uint8_t b : data) {
    crc ^= static_cast<uint32_t>(b) << 16;
    for (int i = 0; i < 8; ++i) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864CFB;
    }
  }
  return crc & 0xFFFFFF;
}

}  // namespace

Bytes OpenPgpKey::KeyId() const { return Bytes(fingerprint.end() - 8, fingerprint.end()); }

std::string OpenPgpKey::FingerprintHex() const {
  std::string out;
  for (uint8_t b : fingerprint) out += fmt::format("{:02X}", b);
  return out;
}

Result<OpenPgpKey> MakeOpenPgpKey(const crypto::PublicKey& key) {
  ByteWriter body;
  body.U8(4);
  body.Be32(kOpenPgpKeyCreated);
  switch (key.type()) {
    case crypto::KeyType::kRsa2048:
    case crypto::KeyType::kRsa4096: {
      HULL_ASSIGN_OR_RETURN(Bytes n, BigNumParam(key.get(), OSSL_PKEY_PARAM_RSA_N));
      HULL_ASSIGN_OR_RETURN(Bytes e, BigNumParam(key.get(), OSSL_PKEY_PARAM_RSA_E));
      body.U8(kAlgRsa);
      PutMpi(body, n);
      PutMpi(body, e);
      break;
    }
    case crypto::KeyType::kEd25519: {
      body.U8(kAlgEdDsa);
      body.U8(sizeof(kEd25519Oid));
      body.Append(kEd25519Oid);
      ByteWriter point;
      point.U8(0x40);  // GnuPG's native point prefix
      point.Append(key.Ed25519Raw());
      PutMpi(body, point.bytes());
      break;
    }
    default:
      return Error(ErrorCode::kUnsupported,
                   "an OpenPGP container signature needs an RSA or Ed25519 key (ECDSA "
                   "signatures are not deterministic): sign with --format sigstore, or use "
                   "another key");
  }
  OpenPgpKey k{.key = key, .body = body.Take(), .fingerprint = {}};
  k.fingerprint = crypto::Digest(crypto::DigestAlgorithm::kSha1, KeyHashPrefix(k));
  return k;
}

Result<Bytes> OpenPgpCertificate(const OpenPgpKey& key, std::string_view user_id,
                                 crypto::Signer& signer, const crypto::SigningItem& item) {
  // Hashed for a certification (§5.2.4): 0x99, key length, key body, 0xB4,
  // user ID length (4 bytes), user ID.
  ByteWriter prefix;
  prefix.Append(KeyHashPrefix(key));
  prefix.U8(0xB4);
  prefix.Be32(static_cast<uint32_t>(user_id.size()));
  prefix.Append(AsBytes(user_id));
  ByteWriter flags;
  const uint8_t f[] = {kKeyFlagsCertifySign};
  PutSubpacket(flags, kSubKeyFlags, f);
  HULL_ASSIGN_OR_RETURN(Bytes sig,
                        SignaturePacket(key, kSigPositiveCert, prefix.bytes(), flags.bytes(),
                                        kOpenPgpKeyCreated, signer, item, "openpgp-certification"));
  ByteWriter out;
  PutPacket(out, kTagPublicKey, key.body);
  PutPacket(out, kTagUserId, AsBytes(user_id));
  out.Append(sig);
  return out.Take();
}

Result<Bytes> OpenPgpSignedMessage(const OpenPgpKey& key, ByteSpan data, uint32_t created,
                                   crypto::Signer& signer, const crypto::SigningItem& item) {
  HULL_ASSIGN_OR_RETURN(Bytes sig, SignaturePacket(key, kSigBinary, data, {}, created, signer, item,
                                                   "openpgp-signature"));
  // One-pass signature (§5.4): version 3, type, hash, key algorithm, key ID,
  // 1 = no other one-pass signature follows.
  ByteWriter one_pass;
  for (uint8_t b : {uint8_t{3}, kSigBinary, kHashSha256, AlgorithmOf(key)}) one_pass.U8(b);
  one_pass.Append(key.KeyId());
  one_pass.U8(1);
  // Literal data (§5.9): 'b'inary, no file name, the date, the data.
  ByteWriter literal;
  literal.U8('b');
  literal.U8(0);
  literal.Be32(created);
  literal.Append(data);
  ByteWriter out;
  PutPacket(out, kTagOnePass, one_pass.bytes());
  PutPacket(out, kTagLiteral, literal.bytes());
  out.Append(sig);
  return out.Take();
}

std::string OpenPgpArmor(ByteSpan data, std::string_view block) {
  const std::string b64 = crypto::Base64Encode(data);
  std::string out = fmt::format("-----BEGIN PGP {}-----\n\n", block);
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  const uint32_t crc = Crc24(data);
  const uint8_t c[] = {static_cast<uint8_t>(crc >> 16), static_cast<uint8_t>(crc >> 8),
                       static_cast<uint8_t>(crc)};
  out += "=" + crypto::Base64Encode(c) + "\n";
  out += fmt::format("-----END PGP {}-----\n", block);
  return out;
}

}  // namespace hull::oci
