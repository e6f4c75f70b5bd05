#include "support/softhsm.h"

#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull::test_support {

Result<std::vector<std::string>> MakeSoftHsmToken(const std::string& dir, const std::string& label,
                                                  const std::string& pin) {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/tokens", ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating {}/tokens: {}", dir, ec.message());
  HULL_TRY(WriteFileAtomic(dir + "/softhsm2.conf", "directories.tokendir = " + dir +
                                                       "/tokens\nobjectstore.backend = file\n"));
  std::vector<std::string> env = {"SOFTHSM2_CONF=" + dir + "/softhsm2.conf",
                                  std::string("HULL_PKCS11_MODULE=") + kSoftHsmModule,
                                  "HULL_PKCS11_PIN=" + pin};
  auto r = Run(Command{.argv = {"softhsm2-util", "--init-token", "--free", "--label", label,
                                "--pin", pin, "--so-pin", "5678"},
                       .env = env,
                       .install_hint = "apt-get install softhsm2"});
  if (!r.ok()) return std::move(r).error().Wrap("making the SoftHSM token '" + label + "'");
  return env;
}

}  // namespace hull::test_support
