// Secure Boot and verity signing keys, and firmware variable stores (OVMF's
// for x86-64, AAVMF's for aarch64) with them enrolled.
//
// InitKeys(DIR) writes the UEFI Secure Boot hierarchy (UEFI 2.10 §32.3: PK
// owns the platform, KEK may update db, db lists the certificates whose
// signatures boot) and a dm-verity signing key, each as RSA-2048 key + self-signed
// X.509 certificate: PK.key PK.crt KEK.key KEK.crt db.key db.crt verity.key
// verity.crt. Keys are 0600, certificates 0644. Nothing is written when any of
// the files exists (kAlreadyExists names it).
//
// MakeFirmwareVars copies Debian's variable store template (ovmf's
// OVMF_VARS_4M.fd, or qemu-efi-aarch64's AAVMF_VARS.fd) and enrols PK, KEK
// and db: efitools' cert-to-efi-sig-list makes an EFI_SIGNATURE_LIST per
// certificate, keys::AppendVariable writes it into the copy's variable store
// as a time-authenticated NV variable (offline, no firmware involved; the
// bytes efitools' flash-var writes). AAVMF_VARS.fd is unformatted (zeros:
// the firmware formats it at its first boot), so its store is formatted
// first, as the firmware would (keys::FormatArmVirtVarStore). With PK
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
inline constexpr const char* kArmVirtVarsTemplate = "/usr/share/AAVMF/AAVMF_VARS.fd";
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

// Whose variable store: OVMF (x86-64, q35) or ArmVirtQemu's AAVMF (aarch64,
// QEMU's virt machine).
enum class Firmware { kOvmf, kArmVirt };

struct FirmwareVarsOptions {
  std::string key_dir;  // holds PK.crt KEK.crt db.crt
  std::string out;
  Firmware firmware = Firmware::kOvmf;
  // Empty: kDefaultVarsTemplate, or kArmVirtVarsTemplate for kArmVirt.
  std::string template_path;
  // Authenticated-variable timestamp (Unix time); <0: SOURCE_DATE_EPOCH, else now.
  int64_t timestamp = -1;
};

// The external command, pure (unit-tested).
std::vector<std::string> CertToEslArgv(const std::string& cert, const std::string& esl);

struct AuthOptions {
  std::string key_dir;     // holds PK.key/crt, KEK.key/crt, db.crt
  std::string out_dir;     // receives PK.auth KEK.auth db.auth
  int64_t timestamp = -1;  // as FirmwareVarsOptions::timestamp
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
// Errors as MakeFirmwareVars; kAlreadyExists if an output file exists.
Status MakeAuthFiles(const AuthOptions& options);

// Writes options.out atomically. Errors: kNotFound for a missing certificate,
// template or tool (names the Debian package), kProcessFailed with the tool's
// stderr, kInvalidArgument for an AAVMF template of another size than
// kArmVirtFlashSize, the errors of AppendVariable, kVerifyFailed if the
// result does not list PK, KEK and db with the certificates (read back with
// ReadVariableStore).
Status MakeFirmwareVars(const FirmwareVarsOptions& options);

}  // namespace hull::keys
