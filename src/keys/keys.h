// Secure Boot and verity signing keys, and an OVMF variable store with them.
//
// InitKeys(DIR) writes the UEFI Secure Boot hierarchy (UEFI 2.10 §32.3: PK
// owns the platform, KEK may update db, db lists the certificates whose
// signatures boot) and a dm-verity signing key, each as RSA-2048 key + self-signed
// X.509 certificate: PK.key PK.crt KEK.key KEK.crt db.key db.crt verity.key
// verity.crt. Keys are 0600, certificates 0644. Nothing is written when any of
// the files exists (kAlreadyExists names it).
//
// MakeOvmfVars copies Debian ovmf's OVMF_VARS_4M.fd and enrols PK, KEK and db
// with efitools: cert-to-efi-sig-list makes an EFI_SIGNATURE_LIST per
// certificate, flash-var writes it into the copy's variable store as a
// time-authenticated NV variable (offline, no firmware involved). With PK
// present the firmware leaves setup mode and enforces Secure Boot.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace hull::keys {

inline constexpr std::array<const char*, 4> kKeyNames = {"PK", "KEK", "db", "verity"};
inline constexpr const char* kDefaultVarsTemplate = "/usr/share/OVMF/OVMF_VARS_4M.fd";
// Owner GUID of Hull's signature list entries (SignatureOwner).
inline constexpr const char* kHullOwnerGuid = "5b3ba8d7-6f0e-4c8b-9a0f-6875c1d3a701";

struct InitOptions {
  std::string common_name_prefix = "Hull";  // "Hull PK", "Hull KEK", ...
  int days = 3650;
  // A PKCS#11 URI naming a token (pkcs11:token=LABEL, pkcs11/uri.h): the keys
  // are generated in it (labels PK, KEK, db, verity) and DIR/NAME.key holds
  // the key's URI instead of the key; certificates are still files.
  std::string pkcs11_uri;
};

// Errors: kAlreadyExists "'DIR/PK.key' exists: refusing to overwrite" (or
// the token already holds a key so labelled); kIo for unwritable DIR; the
// token's errors (pkcs11/token_key.h).
Status InitKeys(const std::string& dir, const InitOptions& options = {});

struct OvmfVarsOptions {
  std::string key_dir;  // holds PK.crt KEK.crt db.crt
  std::string out;
  std::string template_path = kDefaultVarsTemplate;
  // Authenticated-variable timestamp (Unix time); <0: SOURCE_DATE_EPOCH, else now.
  int64_t timestamp = -1;
};

// The external commands, pure (unit-tested).
std::vector<std::string> CertToEslArgv(const std::string& cert, const std::string& esl);
std::vector<std::string> FlashVarArgv(const std::string& flash, const std::string& var,
                                      const std::string& esl, int64_t timestamp);

struct AuthOptions {
  std::string key_dir;     // holds PK.key/crt, KEK.key/crt, db.crt
  std::string out_dir;     // receives PK.auth KEK.auth db.auth
  int64_t timestamp = -1;  // as OvmfVarsOptions::timestamp
};

// With `engine` ("pkcs11"), `key` is what that OpenSSL engine loads (a
// PKCS#11 URI carrying its PIN).
std::vector<std::string> SignEslArgv(const std::string& var, const std::string& key,
                                     const std::string& cert, const std::string& esl,
                                     const std::string& out, int64_t timestamp,
                                     const std::string& engine = "");

// Signed EFI_VARIABLE_AUTHENTICATION_2 updates for systemd-boot's
// `secure-boot-enroll` (ESP /loader/keys/<name>/{PK,KEK,db}.auth), made with
// efitools sign-efi-sig-list: PK and KEK signed by PK, db signed by KEK. A
// PK.key or KEK.key holding a PKCS#11 URI is used through OpenSSL's pkcs11
// engine with its default module (p11-kit's proxy: the modules registered
// with p11-kit, SoftHSM's among them); the PIN is on the tool's command line.
// Errors as MakeOvmfVars; kAlreadyExists if an output file exists.
Status MakeAuthFiles(const AuthOptions& options);

// Writes options.out atomically. Errors: kNotFound for a missing certificate,
// template or tool (names the Debian package), kProcessFailed with the tool's
// stderr, kVerifyFailed if the result does not list PK, KEK and db with the
// certificates (read back with ReadVariableStore).
Status MakeOvmfVars(const OvmfVarsOptions& options);

}  // namespace hull::keys
