// Offline signing (docs/keys.md, "Offline signing"): a command that signs
// runs once recording what must be signed into a directory (RecordingSigner),
// the directory is signed elsewhere (SignDirectory, `hull sign-offline`, or
// openssl), and the command runs again taking the signatures from it
// (InjectingSigner). Both are crypto::Signer, so every signing rule runs the
// same code whichever way its signature is made; a command only chooses its
// signer with OpenSigner and calls Finish once every signature was asked for.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/signer.h"
#include "signing/manifest.h"

namespace hull::signing {

// Answers every request with a placeholder signature (zeros, the key's
// signature size) and remembers it; the command's outputs are to be thrown
// away. kInvalidArgument for an invalid or repeated item name.
class RecordingSigner : public crypto::Signer {
 public:
  Result<Bytes> Sign(const crypto::SignRequest& request) override;
  // Writes `dir` (absent or empty; kAlreadyExists otherwise): the payloads,
  // public keys and manifest.json, made in a sibling directory and renamed
  // onto `dir`, so `dir` is complete or absent. kInvalidArgument when nothing
  // was asked for.
  Status Write(const std::string& dir, const std::string& command) const;
  size_t size() const { return items_.size(); }
  // A file the finishing run needs besides the signatures, copied to
  // DIR/staged/NAME by Write (a release's new target files).
  // kInvalidArgument for a name that is not ValidItemName or is repeated.
  Status AddStagedFile(const std::string& name, const std::string& source);
  void set_subject(std::string subject) { subject_ = std::move(subject); }

 private:
  std::string subject_;
  struct Recorded {
    Item item;
    Bytes payload;
    std::string public_key_pem;
  };
  std::vector<Recorded> items_;
  std::vector<std::pair<std::string, std::string>> staged_;  // name, source
};

inline constexpr const char* kStagedDir = "staged";

// Takes each signature from a signed directory. Sign refuses (one line each):
// kNotFound for a missing NAME.sig; kRefused for a request the manifest
// lacks or that differs from the manifest's item (its payload digest,
// kind, role, algorithm or key: a directory made for other inputs);
// kBadSignature when NAME.sig does not verify against the request's key.
class InjectingSigner : public crypto::Signer {
 public:
  // Errors: kNotFound without DIR/manifest.json; ParseManifest's.
  static Result<std::unique_ptr<InjectingSigner>> Open(const std::string& dir);
  Result<Bytes> Sign(const crypto::SignRequest& request) override;
  // kRefused naming the first item no request asked for (a directory made
  // for other inputs).
  Status CheckAllUsed() const;
  const Manifest& manifest() const { return manifest_; }

 private:
  std::string dir_;
  Manifest manifest_;
  std::vector<bool> used_;
};

// How a command makes its signatures. At most one of the two is set.
struct OfflineOptions {
  std::string sign_offline_dir;  // --sign-offline DIR: record, write DIR, make nothing else
  std::string inject_dir;        // --inject-signatures DIR
  bool recording() const { return !sign_offline_dir.empty(); }
  bool injecting() const { return !inject_dir.empty(); }
  bool offline() const { return recording() || injecting(); }
};

// The signer of one command run.
class SigningSession {
 public:
  // With neither option: `keys()` loads the command's keys (called here, so
  // a key that does not load fails before any work) and they sign. Recording:
  // kAlreadyExists unless --sign-offline's directory is absent or empty.
  // Injecting: InjectingSigner::Open's errors. kInvalidArgument for both.
  static Result<SigningSession> Open(const OfflineOptions& options,
                                     const std::function<Result<crypto::KeySigner>()>& keys);
  crypto::Signer& signer() { return *signer_; }
  bool recording() const { return options_.recording(); }
  bool injecting() const { return options_.injecting(); }
  // Names the state the command stopped in (Manifest::subject), once it is
  // known and before the long steps: recording writes it into the manifest;
  // injecting refuses (kRefused, one line naming both) a directory recorded
  // in another state, i.e. for another image; with keys, nothing.
  Status Bind(const std::string& subject);
  // Recording: RecordingSigner::AddStagedFile; otherwise kInvalidArgument.
  Status AddStagedFile(const std::string& name, const std::string& source);
  const std::string& inject_dir() const { return options_.inject_dir; }
  // Injecting: the manifest read; otherwise nullptr.
  const Manifest* injected_manifest() const;
  // After the command asked for every signature: recording writes the
  // directory (RecordingSigner::Write); injecting checks every item was
  // used; with keys, nothing.
  Status Finish(const std::string& command);

 private:
  OfflineOptions options_;
  std::unique_ptr<crypto::Signer> signer_;
};

struct SignDirectoryResult {
  std::vector<std::string> signed_items;  // signed now
  std::vector<std::string> pending;       // no key given for them and no NAME.sig yet
};

// A key given to SignDirectory: bound to a role (`--key db=REF`) or, without
// one (`--key REF`), for every item whose public key is this key's.
struct DirectoryKey {
  std::string role;  // empty: matched by public key
  crypto::PrivateKey key;
  std::string ref;  // what the user gave (for messages; never a PIN)
};

// Splits `--key` ARG into ROLE=REF or REF: the text before the first '=' is
// a role when it is 1..64 of [A-Za-z0-9_-] (so `pkcs11:token=…` and
// `dir/a=b.key` are REFs). kInvalidArgument for an empty REF.
Result<std::pair<std::string, std::string>> SplitKeyArgument(std::string_view arg);

// Signs every item of `dir` that a key in `keys` is for, writing NAME.sig
// atomically, so a directory can be signed key by key on different
// machines. Errors: ParseManifest's; kNotFound for a key for no item (a
// role no item has, a misspelt --key; a role-less key that is no item's
// public key); kRefused when NAME.bin's digest differs from the manifest's
// or a role's key is not its item's public key; SignRaw's.
Result<SignDirectoryResult> SignDirectory(const std::string& dir,
                                          const std::vector<DirectoryKey>& keys);

}  // namespace hull::signing
