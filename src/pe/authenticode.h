// Authenticode signatures of PE32+ images, as UEFI Secure Boot checks them.
//
// Spec: Microsoft "Windows Authenticode Portable Executable Signature Format"
// (Authenticode_PE.docx, 2008), "Calculating the PE Image Hash":
//   hash [0, CheckSum) + [CheckSum+4, security directory entry)
//   + [entry+8, SizeOfHeaders); then each section's raw data with
//   SizeOfRawData > 0, sorted by PointerToRawData; then, when the file is longer
//   than SUM_OF_BYTES_HASHED (SizeOfHeaders + the sections), the bytes from that
//   offset to the end of the file minus the certificate table.
// The signature is a WIN_CERTIFICATE (dwLength, wRevision 0x0200, wCertificateType
// 2 = PKCS_SIGNED_DATA) holding PKCS#7 SignedData whose content is
// SpcIndirectDataContent (1.3.6.1.4.1.311.2.1.4) = { SpcAttributeTypeAndOptionalValue
// { SPC_PE_IMAGE_DATA 1.3.6.1.4.1.311.2.1.15, SpcPeImageData { flags '', file
// <<<Obsolete>>> } }, DigestInfo { sha256, image hash } }, in the shape sbsign writes.
// The messageDigest signed attribute covers the content's DER value (without its
// outer SEQUENCE header). Signed attributes: contentType, SpcSpOpusInfo (empty),
// messageDigest; no signing time, so RSA signatures are deterministic.
#pragma once

#include <string>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "pe/pe.h"

namespace hull::pe {

inline constexpr uint16_t kWinCertRevision2 = 0x0200;
inline constexpr uint16_t kWinCertTypePkcsSignedData = 0x0002;
inline constexpr size_t kMaxCertificates = 16;  // WIN_CERTIFICATE entries read

// The SHA-256 Authenticode image hash of `file` (parsed as `image`).
Bytes ImageHash(ByteSpan file, const PeImage& image);
Result<Bytes> ImageHash(ByteSpan file);

// The DER SpcIndirectDataContent carrying `image_hash` (SHA-256).
Bytes EncodeSpcIndirectData(ByteSpan image_hash);

// Signs `file` and returns the signed image: an existing certificate table is
// replaced, the data is zero-padded to 8 bytes (padding is hashed, as sbsign
// does), the WIN_CERTIFICATE appended (8-byte aligned), the security directory
// set and the CheckSum recomputed over the result.
// Errors: parse errors of ParsePe; kInvalidArgument if the image lacks a security
// directory slot or the key does not belong to the certificate; kUnsupported for Ed25519 keys;
// kInternal on OpenSSL failure.
Result<Bytes> SignImage(ByteSpan file, const crypto::PrivateKey& key,
                        const crypto::Certificate& cert);
// The same with the signature made by `signer` for `item` (crypto/signer.h):
// request kind "authenticode-signed-attributes", message the DER of the
// SignerInfo's signed attributes (a SET OF, the form PKCS#7 signs; its
// messageDigest carries the image hash), algorithm PKCS#1 v1.5 or ECDSA over
// SHA-256, key the certificate's. Errors as above and the signer's.
Result<Bytes> SignImage(ByteSpan file, const crypto::Certificate& cert, crypto::Signer& signer,
                        const crypto::SigningItem& item);

struct VerifyResult {
  Bytes image_hash;
  std::string signer;  // subject of the signing certificate
};

// Verifies that a signature in the certificate table was made by `trusted` (or
// by a certificate `trusted` issued and signed) over this image.
// Errors: kNotFound "image is not signed"; kCorrupt for malformed certificate
// tables, PKCS#7 or SpcIndirectDataContent; kBadSignature when the signer is not
// trusted or the PKCS#7 signature does not verify; kVerifyFailed when the signed
// image hash differs from the image's (a modified image).
Result<VerifyResult> VerifyImage(ByteSpan file, const crypto::Certificate& trusted);

// The SHA-256 fingerprints (of the DER) of the signer certificates the
// signatures of `file` embed, in table order: who signed, not whether the
// signature holds (VerifyImage). Errors: ParsePe's and ExtractSignatures';
// kCorrupt for a blob that is not PKCS#7; kNotFound when a signature
// embeds no signer certificate.
Result<std::vector<Bytes>> SignerFingerprints(ByteSpan file);

// The PKCS#7 DER blobs of the certificate table, in order.
Result<std::vector<Bytes>> ExtractSignatures(ByteSpan file, const PeImage& image);

}  // namespace hull::pe
