// Offline signing of release metadata (docs/keys.md "Offline signing of
// release metadata"): the targets key signs on another machine, snapshot and
// timestamp stay online.
//
// `hull release add|pull|rollout … --sign-offline DIR` composes the new
// targets version (tuf::Repository::StageTargets: version and expiry fixed
// then) and stops: DIR (signing/offline.h) holds one item per targets key of
// the trusted root, kind "tuf-metadata", role "targets", whose payload is the
// canonical JSON of the new targets' `signed`, the files the release adds
// under DIR/staged/<sha256>, and as subject the published targets version
// and SHA-256 it follows. The repository's metadata is not touched (a
// release's new chunks go into the content-addressed chunk store, where no
// signed metadata names them yet).
//
// `hull release … --inject-signatures DIR` publishes what DIR holds: the
// targets signed by the signatures in it (the trusted root's targets keys
// and threshold), the staged files, then snapshot and timestamp signed with
// the keys at hand (tuf::Repository::PublishTargets).
#pragma once

#include <string>

#include "signing/offline.h"
#include "tuf/repository.h"

namespace hull::release {

// Writes the signing directory for `staged` (SigningSession::Finish's
// errors; kAlreadyExists for a DIR that is not new or empty). `command`
// names the command ("release add"); nothing else is written.
Status RecordTargets(const std::string& repo, const tuf::Repository::StagedTargets& staged,
                     const std::string& command, const std::string& dir);

// Publishes the targets signed in `dir`. Refused (one line, the repository
// unchanged): kRefused for a directory of another command, or recorded when
// the published targets were another version (the repository moved on), or
// whose targets have expired; kBadSignature for a signature that does not
// verify against its targets key; kNotFound for fewer signatures than the
// targets threshold (naming the first missing NAME.sig) or snapshot and
// timestamp keys not at hand; kCorrupt for a payload that is not the
// canonical JSON of targets metadata.
Status InjectTargets(const std::string& repo, const tuf::RoleKeySet& keys,
                     const std::string& command, const std::string& dir,
                     const tuf::Expiry& expiry = {}, tuf::Repository::Clock clock = nullptr);

// The new targets from a directory's payload (untrusted until its
// signatures verify): kCorrupt unless it is JSON that ParseTargets accepts
// and whose canonical form, as the writer makes it, is `payload` byte for
// byte (so the published `signed` is exactly what was signed).
Result<tuf::Targets> ParseSignedTargets(ByteSpan payload);

// The subject a directory is bound to: the published targets it follows.
std::string TargetsSubject(const tuf::Repository::StagedTargets& staged);

// Root metadata the same way (docs/keys.md "Offline signing of root
// metadata"): `hull release keys add|revoke|rotate|threshold …
// --sign-offline DIR` composes the new root version
// (tuf::Repository::StageRoot: version and expiry fixed then) and stops: DIR
// holds one item per key that must sign it, the trusted root's root keys
// and the new root's (tuf::Repository::RootSigningKeys), kind
// "tuf-metadata", role "root", whose payload is the canonical JSON of the
// new root's `signed`; its subject is the trusted root's version and
// SHA-256. The injecting run publishes that root once its signatures meet
// both thresholds, then re-signs what the new root forces (targets,
// snapshot, timestamp) with the keys at hand.
Status RecordRoot(const tuf::Repository::StagedRoot& staged, const tuf::Root& trusted,
                  const std::string& command, const std::string& dir);

// Publishes the root signed in `dir`. Refused (one line, the repository
// unchanged): kRefused for a directory of another command, or recorded on
// another trusted root (it changed since the stop), or whose root has
// expired; kBadSignature for a signature that does not verify against its
// key; kNotFound for fewer signatures than a threshold (naming the first
// missing NAME.sig) or keys to re-sign with not at hand; kCorrupt for a
// payload that is not the canonical JSON of root metadata.
Status InjectRoot(const std::string& repo, const tuf::RoleKeySet& keys, const std::string& command,
                  const std::string& dir, const tuf::Expiry& expiry = {},
                  tuf::Repository::Clock clock = nullptr);

// The first root the same way (`hull release init … --sign-offline DIR`):
// `root` is tuf::Repository::InitRoot's, one item per root key, subject
// "release root version 1 of a new repository".
Status RecordInitRoot(const tuf::Root& root, const std::string& command, const std::string& dir);

// Publishes the first root signed in `dir`, then version 1 of targets,
// snapshot and timestamp signed with the keys at hand
// (tuf::Repository::PublishInit). InjectRoot's refusals, and
// kAlreadyExists for a repository that exists.
Status InjectInitRoot(const std::string& repo, const tuf::RoleKeySet& keys,
                      const std::string& command, const std::string& dir,
                      const tuf::Expiry& expiry = {}, tuf::Repository::Clock clock = nullptr);

// The new root from a directory's payload, as ParseSignedTargets.
Result<tuf::Root> ParseSignedRoot(ByteSpan payload);

// The subject a root directory is bound to: the trusted root it follows
// (base_version 0: none, a new repository's first root).
std::string RootSubject(const tuf::Repository::StagedRoot& staged);

}  // namespace hull::release
