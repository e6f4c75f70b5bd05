#include "slot/payload.h"

#include <filesystem>
#include <optional>

#include "base/bytes.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "pe/authenticode.h"
#include "verity/signature.h"
#include "verity/tree.h"

namespace hull::slot {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kCopyChunk = 4 << 20;

struct FileFacts {
  uint64_t size = 0;
  std::string sha256;
};

Result<FileFacts> HashFile(const std::string& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  HULL_ASSIGN_OR_RETURN(std::string d, crypto::FileSha256Hex(path));
  if (ec) return Errorf(ErrorCode::kIo, "size of '{}': {}", path, ec.message());
  return FileFacts{size, d};
}

// Copies `length` bytes at `offset` of the disk into a new file: synced and
// renamed into place for kSynced, written in place for kScratch.
Status CopyOut(const DiskIo& disk, uint64_t offset, uint64_t length, const std::string& path,
               Copies copies) {
  std::optional<AtomicFile> atomic;
  File scratch;
  if (copies == Copies::kSynced) {
    HULL_ASSIGN_OR_RETURN(AtomicFile a, AtomicFile::Create(path));
    atomic.emplace(std::move(a));
  } else {
    HULL_ASSIGN_OR_RETURN(scratch, File::CreateNew(path));
  }
  File& out = atomic ? atomic->file() : scratch;
  Bytes buf(std::min(length, kCopyChunk));
  for (uint64_t done = 0; done < length;) {
    size_t n = size_t(std::min<uint64_t>(buf.size(), length - done));
    HULL_TRY(disk.ReadAt(offset + done, MutableByteSpan(buf.data(), n)));
    HULL_TRY(out.WriteAt(done, ByteSpan(buf.data(), n)));
    done += n;
  }
  return atomic ? atomic->Commit() : Ok();
}

Status WriteCopy(const std::string& path, ByteSpan data, Copies copies) {
  if (copies == Copies::kSynced) return WriteFileAtomic(path, data);
  HULL_ASSIGN_OR_RETURN(File f, File::CreateNew(path));
  return f.WriteAt(0, data);
}

// The signature partition's meaningful bytes: up to the last non-NUL,
// NUL-padded to 4096 as EncodeSignaturePartition writes it.
Bytes TrimSignature(Bytes content) {
  size_t end = content.size();
  while (end > 0 && content[end - 1] == 0) --end;
  content.resize(std::min(content.size(), (end + 4095) / 4096 * 4096));
  return content;
}

}  // namespace

Result<nlohmann::json> WriteManifest(const std::string& dir, const std::string& version,
                                     const std::string& root_hash) {
  nlohmann::json files;
  for (auto [key, name] : {std::pair{"usr", kUsrFile},
                           {"verity", kVerityFile},
                           {"signature", kSignatureFile},
                           {"uki", kUkiFile}}) {
    HULL_ASSIGN_OR_RETURN(FileFacts f, HashFile(dir + "/" + name));
    files[key] = {{"name", name}, {"size", f.size}, {"sha256", f.sha256}};
  }
  nlohmann::json m = {{"version", version}, {"root_hash", root_hash}, {"files", files}};
  HULL_TRY(WriteFileAtomic(dir + "/payload.json", m.dump(2) + "\n"));
  return m;
}

Result<Payload> LoadPayload(const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(dir + "/payload.json", kMaxPayloadJson));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](const std::string& what) {
    return Errorf(ErrorCode::kCorrupt, "{}/payload.json: {}", dir, what);
  };
  if (!j.is_object() || !j.contains("version") || !j["version"].is_string() ||
      !j.contains("root_hash") || !j["root_hash"].is_string() || !j.contains("files") ||
      !j["files"].is_object())
    return bad("needs string 'version', 'root_hash' and object 'files'");
  Payload p;
  p.version = j["version"];
  p.root_hash = j["root_hash"];
  std::map<std::string, std::string> paths;
  for (const char* key : {"usr", "verity", "signature", "uki"}) {
    const auto& f = j["files"].contains(key) ? j["files"][key] : nlohmann::json();
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("size") ||
        !f["size"].is_number_unsigned() || !f.contains("sha256") || !f["sha256"].is_string())
      return bad(fmt::format("files.{} needs 'name', 'size' and 'sha256'", key));
    std::string name = f["name"];
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
      return bad(fmt::format("files.{}.name '{}' is not a plain file name", key, name));
    std::string path = dir + "/" + name;
    HULL_ASSIGN_OR_RETURN(FileFacts facts, HashFile(path));
    if (facts.size != f["size"].get<uint64_t>() || facts.sha256 != f["sha256"].get<std::string>())
      return bad(fmt::format("{} does not match its size and sha256", name));
    paths[key] = path;
  }
  p.usr_path = paths["usr"];
  p.verity_path = paths["verity"];
  HULL_ASSIGN_OR_RETURN(p.signature, ReadFileBytes(paths["signature"], kMaxSignatureBytes));
  HULL_ASSIGN_OR_RETURN(p.uki, ReadFileBytes(paths["uki"], kMaxUkiBytes));
  return p;
}

namespace {

Status CheckVersion(const Payload& p) {
  if (p.version.empty() || p.version.size() > 21 ||
      p.version.find_first_not_of(
          "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.~^-") !=
          std::string::npos)
    return Errorf(ErrorCode::kInvalidArgument,
                  "version '{}': 1-21 characters of [A-Za-z0-9.~^-] (it goes into 36-character "
                  "GPT labels and UKI file names)",
                  p.version);
  return Ok();
}

Status CheckTree(const Payload& p, ByteSpan root) {
  HULL_ASSIGN_OR_RETURN(File usr, File::OpenRead(p.usr_path));
  HULL_ASSIGN_OR_RETURN(File hash, File::OpenRead(p.verity_path));
  HULL_ASSIGN_OR_RETURN(verity::VerityParams params, verity::ReadSuperblock(hash));
  HULL_ASSIGN_OR_RETURN(uint64_t usr_size, usr.Size());
  uint64_t covered = 0;
  if (!CheckedMul(params.data_blocks, params.data_block_size, &covered) || covered > usr_size)
    return Errorf(ErrorCode::kVerifyFailed, "payload: the tree covers {} blocks, usr has {} bytes",
                  params.data_blocks, usr_size);
  HULL_ASSIGN_OR_RETURN(verity::VerifyResult v, verity::VerifyTree(usr, hash, params, root));
  if (!v.ok())
    return Errorf(ErrorCode::kVerifyFailed, "payload: verity: {}",
                  v.root_matches
                      ? v.Describe()
                      : "root hash " + HexEncode(v.root_hash) + ", expected " + p.root_hash);
  return Ok();
}

// The signature partition and the UKI against the root hash and version.
Status CheckSidecars(const Payload& p, ByteSpan root, const crypto::Certificate* cert) {
  HULL_ASSIGN_OR_RETURN(
      auto sig,
      verity::DecodeSignaturePartition(p.signature).Context("payload signature partition"));
  if (!ConstantTimeEqual(sig.root_hash, root))
    return Errorf(ErrorCode::kVerifyFailed, "payload: signature partition names root hash {}",
                  HexEncode(sig.root_hash));
  if (cert)
    HULL_TRY(verity::VerifyRootHashSignature(root, sig.signature, *cert).Context("payload"));
  HULL_ASSIGN_OR_RETURN(UkiFacts facts, ReadUkiFacts(p.uki).Context("payload UKI"));
  if (facts.usrhash != HexEncode(root))
    return Errorf(ErrorCode::kVerifyFailed, "payload: the UKI says usrhash={}, expected {}",
                  facts.usrhash.empty() ? "(none)" : facts.usrhash, p.root_hash);
  // The entry is named for the release's version and a failed one is
  // recorded by it: the UKI's os-release must spell the same version, or
  // the two names of one release could never be matched.
  if (facts.version != p.version)
    return Errorf(ErrorCode::kVerifyFailed,
                  "payload: the UKI's os-release says version '{}', the release is '{}'",
                  facts.version.empty() ? "(none)" : facts.version, p.version);
  return Ok();
}

}  // namespace

Status VerifyPayload(const Payload& p, const crypto::Certificate* cert) {
  HULL_TRY(CheckVersion(p));
  HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(p.root_hash).Context("root hash"));
  HULL_TRY(CheckTree(p, root));
  return CheckSidecars(p, root, cert);
}

Status VerifyPayloadWithoutUsr(const Payload& p, const crypto::Certificate* cert) {
  HULL_TRY(CheckVersion(p));
  HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(p.root_hash).Context("root hash"));
  return CheckSidecars(p, root, cert);
}

Result<Extracted> ExtractPayload(const DiskIo& disk, EspIo& esp, const std::string& out_dir,
                                 const PayloadSigners& signers, Copies copies) {
  HULL_ASSIGN_OR_RETURN(DiskState st, ReadDiskState(disk, esp));
  const Uki* def = st.default_entry();
  if (!def || def->slot < 0)
    return Error(ErrorCode::kNotFound, "the default boot entry names no usr slot");
  // The bytes checked here are the bytes written out: read once.
  HULL_ASSIGN_OR_RETURN(Bytes uki, esp.Read(def->file, kMaxUkiBytes));
  if (signers.db)
    HULL_TRY(
        pe::VerifyImage(uki, *signers.db)
            .Context(fmt::format("UKI {} checked against {}", def->file, signers.db->Subject())));
  HULL_ASSIGN_OR_RETURN(UkiFacts facts, ReadUkiFacts(uki));
  if (facts.usrhash != def->usrhash)
    return Errorf(ErrorCode::kVerifyFailed, "the UKI {} changed while it was read", def->file);
  const Slot& slot = st.slots[size_t(def->slot)];
  HULL_TRY(VerifySlot(disk, slot, def->usrhash, signers.verity));
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_empty(out_dir, ec))
    return Errorf(ErrorCode::kAlreadyExists, "{} exists and is not empty", out_dir);
  fs::create_directories(out_dir, ec);
  if (ec) return ErrnoError(ec.value(), "creating", out_dir);
  HULL_ASSIGN_OR_RETURN(auto params, verity::ReadSuperblock(disk.file(), slot.Offset(slot.verity)));
  verity::VerityParams at_zero = params;
  at_zero.hash_offset = 0;
  HULL_ASSIGN_OR_RETURN(verity::Geometry geo, verity::ComputeGeometry(at_zero));
  Extracted x;
  x.slot = slot.name();
  x.uki_file = def->file;
  Payload& p = x.payload;
  p.version = slot.version;
  p.root_hash = def->usrhash;
  p.usr_path = out_dir + "/" + kUsrFile;
  p.verity_path = out_dir + "/" + kVerityFile;
  HULL_TRY(CopyOut(disk, slot.Offset(slot.usr), params.data_blocks * params.data_block_size,
                   p.usr_path, copies));
  HULL_TRY(CopyOut(disk, slot.Offset(slot.verity), geo.hash_end_bytes(), p.verity_path, copies));
  Bytes sig(std::min(slot.Size(slot.signature), kMaxSignatureBytes));
  HULL_TRY(disk.ReadAt(slot.Offset(slot.signature), sig));
  p.signature = TrimSignature(std::move(sig));
  HULL_TRY(WriteCopy(out_dir + "/" + kSignatureFile, p.signature, copies));
  p.uki = std::move(uki);
  HULL_TRY(WriteCopy(out_dir + "/" + kUkiFile, p.uki, copies));
  if (copies == Copies::kSynced) {
    HULL_ASSIGN_OR_RETURN(x.manifest, WriteManifest(out_dir, p.version, p.root_hash));
  }
  return x;
}

}  // namespace hull::slot
