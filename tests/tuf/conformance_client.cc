// The client-under-test CLI of the TUF conformance suite
// (vendor/tuf-conformance/conformance/CLIENT-CLI.md) over src/tuf:
//   conformance_client --metadata-dir DIR init ROOT
//   conformance_client --metadata-dir DIR --metadata-url URL refresh
//   conformance_client --metadata-dir DIR --metadata-url URL --target-name NAME...
//       --target-base-url URL --target-dir DIR download
// Exit 0 on success, 1 on any failure (the error goes to stderr). Trusted
// metadata lives in DIR under unversioned names (root.json, timestamp.json,
// ...), which is what tuf::Client persists anyway.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "tuf/client.h"

namespace hull::tuf {
namespace {

struct Args {
  std::string metadata_dir, metadata_url, target_base_url, target_dir, command, root;
  std::vector<std::string> target_names;
};

Result<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= argc) return Errorf(ErrorCode::kInvalidArgument, "{} needs a value", arg);
      return std::string(argv[++i]);
    };
    if (arg == "--metadata-dir") {
      HULL_ASSIGN_OR_RETURN(a.metadata_dir, value());
    } else if (arg == "--metadata-url") {
      HULL_ASSIGN_OR_RETURN(a.metadata_url, value());
    } else if (arg == "--target-name") {
      HULL_ASSIGN_OR_RETURN(std::string n, value());
      a.target_names.push_back(std::move(n));
    } else if (arg == "--target-base-url") {
      HULL_ASSIGN_OR_RETURN(a.target_base_url, value());
    } else if (arg == "--target-dir") {
      HULL_ASSIGN_OR_RETURN(a.target_dir, value());
    } else if (arg == "init") {
      a.command = arg;
      HULL_ASSIGN_OR_RETURN(a.root, value());
    } else if (arg == "refresh" || arg == "download") {
      a.command = arg;
    } else if (arg.rfind("-v", 0) != 0) {
      return Errorf(ErrorCode::kInvalidArgument, "unknown argument '{}'", arg);
    }
  }
  if (a.metadata_dir.empty()) return Error(ErrorCode::kInvalidArgument, "--metadata-dir missing");
  return a;
}

Result<Client> Open(const Args& a) {
  HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(a.metadata_dir + "/root.json", 1 << 20));
  ClientOptions o;
  o.state_dir = a.metadata_dir;
  return Client::Create(MakeFetcher(a.metadata_url), root, std::move(o));
}

// A local file name for a target name: '/' and '%' percent-encoded, so the
// name never becomes a path below (or above) the target directory.
std::string LocalName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '/' || c == '%' || c == '\\') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (out == "." || out == "..") out = "%2E" + out.substr(1);
  return out;
}

Status Download(Client& client, const Args& a, const std::string& name) {
  HULL_ASSIGN_OR_RETURN(const TargetFile* f, client.LookupTarget(name));
  std::string local = a.target_dir + "/" + LocalName(name);
  // Cached: a file with the signed length and hashes is not fetched again.
  if (auto have = ReadFileBytes(local, f->length + 1); have.ok()) {
    if (CheckHashes(*have, f->length, f->hashes, name).ok()) return Ok();
  }
  HULL_ASSIGN_OR_RETURN(std::string path, client.TargetPath(name, *f));
  // TargetPath is relative to a repository base laid out as Hull's; the
  // suite serves targets from a base of their own.
  if (path.rfind("targets/", 0) == 0) path = path.substr(8);
  auto fetcher = MakeFetcher(a.target_base_url);
  auto data = fetcher->Fetch(path, f->length);
  if (!data.ok()) return std::move(data).error().Wrap("target " + name);
  HULL_TRY(CheckHashes(*data, f->length, f->hashes, "target " + name));
  return WriteFileAtomic(local, *data);
}

Status Run(const Args& a) {
  if (a.command == "init") {
    HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(a.root, 1 << 20));
    std::error_code ec;
    std::filesystem::create_directories(a.metadata_dir, ec);
    return WriteFileAtomic(a.metadata_dir + "/root.json", root);
  }
  HULL_ASSIGN_OR_RETURN(Client client, Open(a));
  HULL_TRY(client.Refresh());
  if (a.command == "refresh") return Ok();
  if (a.command != "download") return Error(ErrorCode::kInvalidArgument, "no command");
  for (const std::string& name : a.target_names) HULL_TRY(Download(client, a, name));
  return Ok();
}

}  // namespace
}  // namespace hull::tuf

int main(int argc, char** argv) {
  auto args = hull::tuf::ParseArgs(argc, argv);
  hull::Status st = args.ok() ? hull::tuf::Run(*args) : hull::Status(std::move(args).error());
  if (!st.ok()) {
    std::fprintf(stderr, "conformance-client: %s\n", st.error().ToString().c_str());
    return 1;
  }
  return 0;
}
