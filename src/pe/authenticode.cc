#include "pe/authenticode.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "crypto/digest.h"
#include "crypto/signer.h"

namespace hull::pe {
namespace {

constexpr const char* kOidSpcIndirectData = "1.3.6.1.4.1.311.2.1.4";
constexpr const char* kOidSpcSpOpusInfo = "1.3.6.1.4.1.311.2.1.12";

// SpcAttributeTypeAndOptionalValue { SPC_PE_IMAGE_DATA_OBJID, SpcPeImageData {
// flags BIT STRING (empty), file [0] SpcLink { file [2] SpcString { unicode [0]
// "<<<Obsolete>>>" (UCS-2 BE) } } } }, byte for byte as sbsign encodes it.
constexpr uint8_t kPeImageDataAttr[] = {
    0x30, 0x33, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0f,
    0x30, 0x25, 0x03, 0x01, 0x00, 0xa0, 0x20, 0xa2, 0x1e, 0x80, 0x1c, 0x00, 0x3c, 0x00,
    0x3c, 0x00, 0x3c, 0x00, 0x4f, 0x00, 0x62, 0x00, 0x73, 0x00, 0x6f, 0x00, 0x6c, 0x00,
    0x65, 0x00, 0x74, 0x00, 0x65, 0x00, 0x3e, 0x00, 0x3e, 0x00, 0x3e};
// DigestInfo prefix: SEQUENCE { AlgorithmIdentifier { sha256, NULL }, OCTET STRING(32) }.
constexpr uint8_t kSha256DigestInfoPrefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                               0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                               0x01, 0x05, 0x00, 0x04, 0x20};

struct P7Free {
  void operator()(PKCS7* p) const { PKCS7_free(p); }
};
using P7Ptr = std::unique_ptr<PKCS7, P7Free>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

Error SslError(ErrorCode code, std::string_view what) {
  return Errorf(code, "{}: {}", what, crypto::OpenSslErrors());
}

int NidOf(const char* oid, const char* name) {
  int nid = OBJ_txt2nid(oid);
  if (nid == NID_undef) nid = OBJ_create(oid, name, name);
  return nid;
}

bool IsOid(const ASN1_OBJECT* obj, std::string_view oid) {
  char text[80];
  int n = OBJ_obj2txt(text, sizeof(text), obj, 1);
  return n > 0 && size_t(n) < sizeof(text) && oid == text;
}

// One DER TLV: tag, and the value's span; `header` is the TL length.
struct Tlv {
  uint8_t tag = 0;
  size_t header = 0;
  ByteSpan value;
};

Result<Tlv> ReadTlv(ByteReader& r) {
  Tlv t;
  size_t start = r.offset();
  HULL_ASSIGN_OR_RETURN(t.tag, r.U8("DER tag"));
  HULL_ASSIGN_OR_RETURN(uint8_t l0, r.U8("DER length"));
  size_t len = l0;
  if (l0 & 0x80) {
    int n = l0 & 0x7f;
    if (n == 0 || n > 4) return Error(ErrorCode::kCorrupt, "unsupported DER length form");
    len = 0;
    for (int i = 0; i < n; ++i) {
      HULL_ASSIGN_OR_RETURN(uint8_t b, r.U8("DER length"));
      len = (len << 8) | b;
    }
  }
  t.header = r.offset() - start;
  HULL_ASSIGN_OR_RETURN(t.value, r.Take(len, "DER value"));
  return t;
}

// SpcIndirectDataContent -> the SHA-256 image digest it carries.
Result<Bytes> DecodeSpcDigest(ByteSpan der) {
  ByteReader outer(der);
  HULL_ASSIGN_OR_RETURN(Tlv seq, ReadTlv(outer));
  if (seq.tag != 0x30) return Error(ErrorCode::kCorrupt, "SpcIndirectDataContent not a SEQUENCE");
  ByteReader in(seq.value);
  HULL_ASSIGN_OR_RETURN(Tlv data, ReadTlv(in));
  HULL_ASSIGN_OR_RETURN(Tlv digest_info, ReadTlv(in));
  (void)data;
  ByteSpan di = digest_info.value;
  constexpr size_t kPrefixValue = sizeof(kSha256DigestInfoPrefix) - 2;
  if (digest_info.tag != 0x30 || di.size() != kPrefixValue + 32 ||
      !std::equal(di.begin(), di.begin() + kPrefixValue, kSha256DigestInfoPrefix + 2)) {
    return Error(ErrorCode::kUnsupported, "signed image digest is not SHA-256 DigestInfo");
  }
  return Bytes(di.begin() + kPrefixValue, di.end());
}

// The value bytes of the content's outer SEQUENCE: what messageDigest covers.
Result<ByteSpan> ContentValue(ByteSpan der) {
  ByteReader r(der);
  HULL_ASSIGN_OR_RETURN(Tlv seq, ReadTlv(r));
  return seq.value;
}

Status SetContent(PKCS7* p7, ByteSpan spc) {
  PKCS7* inner = PKCS7_new();
  if (!inner) return SslError(ErrorCode::kInternal, "PKCS7_new");
  inner->type = OBJ_txt2obj(kOidSpcIndirectData, 1);
  ASN1_STRING* seq = ASN1_STRING_new();
  ASN1_STRING_set(seq, spc.data(), int(spc.size()));
  inner->d.other = ASN1_TYPE_new();
  ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
  if (PKCS7_set_content(p7, inner) != 1) {
    PKCS7_free(inner);
    return SslError(ErrorCode::kInternal, "PKCS7_set_content");
  }
  return Ok();
}

Status AddSignedAttributes(PKCS7_SIGNER_INFO* si, ByteSpan spc) {
  ASN1_OBJECT* ctype = OBJ_txt2obj(kOidSpcIndirectData, 1);
  if (PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT, ctype) != 1) {
    ASN1_OBJECT_free(ctype);
    return SslError(ErrorCode::kInternal, "contentType attribute");
  }
  static const uint8_t kEmptySeq[] = {0x30, 0x00};
  ASN1_STRING* opus = ASN1_STRING_new();
  ASN1_STRING_set(opus, kEmptySeq, sizeof(kEmptySeq));
  if (PKCS7_add_signed_attribute(si, NidOf(kOidSpcSpOpusInfo, "spcSpOpusInfo"), V_ASN1_SEQUENCE,
                                 opus) != 1) {
    ASN1_STRING_free(opus);
    return SslError(ErrorCode::kInternal, "SpcSpOpusInfo attribute");
  }
  HULL_ASSIGN_OR_RETURN(ByteSpan value, ContentValue(spc));
  Bytes md = crypto::Sha256(value);
  if (PKCS7_add1_attrib_digest(si, md.data(), int(md.size())) != 1) {
    return SslError(ErrorCode::kInternal, "messageDigest attribute");
  }
  return Ok();
}

// PKCS7_SIGNER_INFO_sign's steps with the signature made by `signer`: the
// SignerInfo is laid out with the certificate's public key, and the raw
// signature is over the DER of the signed attributes (a SET OF).
Result<Bytes> SignSpc(ByteSpan spc, const crypto::Certificate& cert, crypto::Signer& signer,
                      const crypto::SigningItem& item) {
  crypto::PublicKey key = crypto::CertificateKey(cert);
  auto algorithm = crypto::Pkcs7AlgorithmFor(key);
  if (!algorithm.ok())
    return Error(ErrorCode::kUnsupported, "Authenticode needs an RSA or ECDSA key");
  P7Ptr p7(PKCS7_new());
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1) {
    return SslError(ErrorCode::kInternal, "PKCS7_set_type");
  }
  PKCS7_SIGNER_INFO* si = PKCS7_add_signature(p7.get(), cert.get(), key.get(), EVP_sha256());
  if (!si) return SslError(ErrorCode::kInternal, "PKCS7_add_signature");
  PKCS7_add_certificate(p7.get(), cert.get());
  HULL_TRY(SetContent(p7.get(), spc));
  HULL_TRY(AddSignedAttributes(si, spc));
  unsigned char* attrs = nullptr;
  int attrs_len = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(si->auth_attr), &attrs,
                                ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
  if (attrs_len <= 0) return SslError(ErrorCode::kInternal, "encoding the signed attributes");
  Bytes message(attrs, attrs + attrs_len);
  OPENSSL_free(attrs);
  HULL_ASSIGN_OR_RETURN(Bytes sig, signer.Sign({.item = item,
                                                .kind = "authenticode-signed-attributes",
                                                .algorithm = *algorithm,
                                                .key = key,
                                                .message = message}));
  if (ASN1_STRING_set(si->enc_digest, sig.data(), int(sig.size())) != 1) {
    return SslError(ErrorCode::kInternal, "setting the signature");
  }
  unsigned char* der = nullptr;
  int len = i2d_PKCS7(p7.get(), &der);
  if (len <= 0) return SslError(ErrorCode::kInternal, "encoding PKCS#7");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Trusted when the signer is `trusted` itself or carries a signature by it.
Status CheckSigner(X509* signer, const crypto::Certificate& trusted) {
  if (X509_cmp(signer, trusted.get()) == 0) return Ok();
  if (X509_NAME_cmp(X509_get_issuer_name(signer), X509_get_subject_name(trusted.get())) == 0 &&
      X509_verify(signer, X509_get0_pubkey(trusted.get())) == 1) {
    return Ok();
  }
  crypto::OpenSslErrors();
  return Errorf(ErrorCode::kBadSignature, "signer is not '{}' nor issued by it", trusted.Subject());
}

Result<VerifyResult> VerifyOne(ByteSpan p7der, const Bytes& image_hash,
                               const crypto::Certificate& trusted) {
  const unsigned char* p = p7der.data();
  P7Ptr p7(d2i_PKCS7(nullptr, &p, long(p7der.size())));
  if (!p7 || !PKCS7_type_is_signed(p7.get()) || !p7->d.sign->contents ||
      !IsOid(p7->d.sign->contents->type, kOidSpcIndirectData) || !p7->d.sign->contents->d.other ||
      p7->d.sign->contents->d.other->type != V_ASN1_SEQUENCE) {
    crypto::OpenSslErrors();
    return Error(ErrorCode::kCorrupt, "not an Authenticode PKCS#7 SignedData");
  }
  ASN1_STRING* seq = p7->d.sign->contents->d.other->value.sequence;
  ByteSpan spc(ASN1_STRING_get0_data(seq), size_t(ASN1_STRING_length(seq)));
  HULL_ASSIGN_OR_RETURN(Bytes signed_hash, DecodeSpcDigest(spc));
  // The embedded certificates first (a CA and its leaf may share issuer and
  // serial); `trusted` itself only for signatures that embed none.
  STACK_OF(X509)* extra = sk_X509_new_null();
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> extra_owner(
      extra, [](STACK_OF(X509) * s) { sk_X509_free(s); });
  STACK_OF(X509)* signers = PKCS7_get0_signers(p7.get(), nullptr, 0);
  if (!signers) {
    crypto::OpenSslErrors();
    sk_X509_push(extra, trusted.get());
    signers = PKCS7_get0_signers(p7.get(), extra, 0);
  }
  X509* signer = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : nullptr;
  if (!signer) {
    sk_X509_free(signers);
    crypto::OpenSslErrors();
    return Error(ErrorCode::kBadSignature, "signer certificate not found");
  }
  Status trust = CheckSigner(signer, trusted);
  VerifyResult result;
  char name[512];
  X509_NAME_oneline(X509_get_subject_name(signer), name, sizeof(name));
  result.signer = name;
  sk_X509_free(signers);
  HULL_TRY(trust);
  HULL_ASSIGN_OR_RETURN(ByteSpan value, ContentValue(spc));
  BioPtr in(BIO_new_mem_buf(value.data(), int(value.size())));
  if (PKCS7_verify(p7.get(), extra, nullptr, in.get(), nullptr, PKCS7_NOVERIFY | PKCS7_BINARY) !=
      1) {
    return SslError(ErrorCode::kBadSignature, "PKCS#7 signature does not verify");
  }
  if (!ConstantTimeEqual(signed_hash, image_hash)) {
    return Error(ErrorCode::kVerifyFailed,
                 "image hash differs from the signed one (the image was modified)");
  }
  result.image_hash = image_hash;
  return result;
}

}  // namespace

Bytes ImageHash(ByteSpan file, const PeImage& img) {
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  uint32_t cks = img.checksum_offset();
  uint32_t sec = img.security_entry_offset();
  h.Update(file.subspan(0, cks));
  if (sec != 0) {
    h.Update(file.subspan(cks + 4, sec - (cks + 4)));
    h.Update(file.subspan(sec + 8, img.size_of_headers - (sec + 8)));
  } else {
    h.Update(file.subspan(cks + 4, img.size_of_headers - (cks + 4)));
  }
  std::vector<const Section*> order;
  for (const auto& s : img.sections) {
    if (s.size_of_raw_data) order.push_back(&s);
  }
  std::stable_sort(order.begin(), order.end(), [](const Section* a, const Section* b) {
    return a->pointer_to_raw_data < b->pointer_to_raw_data;
  });
  uint64_t hashed = img.size_of_headers;
  for (const Section* s : order) {
    h.Update(file.subspan(s->pointer_to_raw_data, s->size_of_raw_data));
    hashed += s->size_of_raw_data;
  }
  uint64_t data_end = file.size() - img.security().size;
  if (data_end > hashed) h.Update(file.subspan(hashed, data_end - hashed));
  return h.Final();
}

Result<Bytes> ImageHash(ByteSpan file) {
  HULL_ASSIGN_OR_RETURN(PeImage img, ParsePe(file));
  return ImageHash(file, img);
}

Bytes EncodeSpcIndirectData(ByteSpan image_hash) {
  ByteWriter w;
  size_t inner = sizeof(kPeImageDataAttr) + sizeof(kSha256DigestInfoPrefix) + image_hash.size();
  w.U8(0x30);
  w.U8(uint8_t(inner));  // < 128 for SHA-256
  w.Append(kPeImageDataAttr);
  w.Append(kSha256DigestInfoPrefix);
  w.Append(image_hash);
  return w.Take();
}

Result<Bytes> SignImage(ByteSpan file, const crypto::PrivateKey& key,
                        const crypto::Certificate& cert) {
  int id = EVP_PKEY_get_id(key.get());
  if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
    return Error(ErrorCode::kUnsupported, "Authenticode needs an RSA or ECDSA key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    crypto::OpenSslErrors();
    return Error(ErrorCode::kInvalidArgument, "the key does not belong to the certificate");
  }
  crypto::KeySigner signer(key);
  return SignImage(file, cert, signer, {.name = "image", .role = "db"});
}

Result<Bytes> SignImage(ByteSpan file, const crypto::Certificate& cert, crypto::Signer& signer,
                        const crypto::SigningItem& item) {
  HULL_ASSIGN_OR_RETURN(PeImage img, ParsePe(file));
  if (img.security_entry_offset() == 0) {
    return Error(ErrorCode::kInvalidArgument, "image has no security directory entry");
  }
  DataDirectory old = img.security();
  Bytes out(file.begin(), old.size ? file.begin() + old.rva : file.end());
  out.resize(AlignUp(out.size(), 8), 0);
  img.directories[kDirSecurity] = {};
  HULL_TRY(EncodeHeaders(img, out));
  HULL_ASSIGN_OR_RETURN(img, ParsePe(out));
  Bytes spc = EncodeSpcIndirectData(ImageHash(out, img));
  HULL_ASSIGN_OR_RETURN(Bytes p7, SignSpc(spc, cert, signer, item));
  // WIN_CERTIFICATE: off 0 dwLength, off 4 wRevision, off 6 wCertificateType.
  uint32_t length = uint32_t(8 + p7.size());
  uint32_t table = uint32_t(AlignUp(length, 8));
  img.directories[kDirSecurity] = {uint32_t(out.size()), table};
  ByteWriter w;
  w.Le32(length);
  w.Le16(kWinCertRevision2);
  w.Le16(kWinCertTypePkcsSignedData);
  w.Append(p7);
  w.AlignTo(8);
  out.insert(out.end(), w.bytes().begin(), w.bytes().end());
  img.checksum = 0;
  HULL_TRY(EncodeHeaders(img, out));
  StoreLe32(out.data() + img.checksum_offset(), ComputeChecksum(out, img.checksum_offset()));
  return out;
}

Result<std::vector<Bytes>> ExtractSignatures(ByteSpan file, const PeImage& img) {
  DataDirectory sec = img.security();
  if (sec.size == 0) return Error(ErrorCode::kNotFound, "image is not signed");
  ByteReader r(file.subspan(sec.rva, sec.size));
  std::vector<Bytes> out;
  while (r.remaining() >= 8) {
    if (out.size() == kMaxCertificates) {
      return Errorf(ErrorCode::kCorrupt, "more than {} certificates", kMaxCertificates);
    }
    size_t start = r.offset();
    HULL_ASSIGN_OR_RETURN(uint32_t length, r.Le32("dwLength"));
    HULL_ASSIGN_OR_RETURN(uint16_t revision, r.Le16("wRevision"));
    HULL_ASSIGN_OR_RETURN(uint16_t type, r.Le16("wCertificateType"));
    if (length < 8 || length - 8 > r.remaining()) {
      return Errorf(ErrorCode::kCorrupt, "WIN_CERTIFICATE length {} out of range", length);
    }
    if (revision != kWinCertRevision2 || type != kWinCertTypePkcsSignedData) {
      return Errorf(ErrorCode::kUnsupported, "WIN_CERTIFICATE revision {:#x} type {:#x}", revision,
                    type);
    }
    HULL_ASSIGN_OR_RETURN(ByteSpan blob, r.Take(length - 8, "PKCS#7"));
    out.emplace_back(blob.begin(), blob.end());
    size_t next = AlignUp(start + length, 8);
    if (next >= sec.size) break;
    HULL_TRY(r.Seek(next));
  }
  if (out.empty()) return Error(ErrorCode::kCorrupt, "empty certificate table");
  return out;
}

Result<std::vector<Bytes>> SignerFingerprints(ByteSpan file) {
  HULL_ASSIGN_OR_RETURN(PeImage img, ParsePe(file));
  HULL_ASSIGN_OR_RETURN(std::vector<Bytes> sigs, ExtractSignatures(file, img));
  std::vector<Bytes> out;
  for (const Bytes& sig : sigs) {
    const unsigned char* p = sig.data();
    P7Ptr p7(d2i_PKCS7(nullptr, &p, long(sig.size())));
    if (!p7 || !PKCS7_type_is_signed(p7.get())) {
      crypto::OpenSslErrors();
      return Error(ErrorCode::kCorrupt, "not a PKCS#7 SignedData");
    }
    STACK_OF(X509)* signers = PKCS7_get0_signers(p7.get(), nullptr, 0);
    X509* signer = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : nullptr;
    unsigned char* der = nullptr;
    int len = signer ? i2d_X509(signer, &der) : -1;
    sk_X509_free(signers);
    crypto::OpenSslErrors();
    if (len <= 0) return Error(ErrorCode::kNotFound, "a signature embeds no signer certificate");
    out.push_back(crypto::Sha256(ByteSpan(der, size_t(len))));
    OPENSSL_free(der);
  }
  return out;
}

Result<VerifyResult> VerifyImage(ByteSpan file, const crypto::Certificate& trusted) {
  HULL_ASSIGN_OR_RETURN(PeImage img, ParsePe(file));
  HULL_ASSIGN_OR_RETURN(std::vector<Bytes> sigs, ExtractSignatures(file, img));
  Bytes hash = ImageHash(file, img);
  std::optional<Error> first;
  for (const Bytes& sig : sigs) {
    auto r = VerifyOne(sig, hash, trusted);
    if (r.ok()) return r;
    if (!first) first = std::move(r).error();
  }
  return std::move(*first);
}

}  // namespace hull::pe
