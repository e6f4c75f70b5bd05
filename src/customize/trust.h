// The customized image's trust set (node::kTrustDir, /usr/lib/hull/trust:
// db/*.crt and verity/*.crt, read by slot/trust.h): the certificates a node
// of the image checks releases and system extensions against. The
// configuration's `trust.mode` says whose they are (docs/customize.md,
// "Trust set"):
//   replace  the customizer's alone, as `hull build` would write them for
//            --keys (its db.crt and verity.crt, and KEYS/trust/{db,verity}/
//            *.crt): the image trusts who signed it; the default
//   keep     the base's, untouched: vendor-signed releases and extensions
//            still verify, the customizer's own do not
//   add      the base's and the customizer's (written as customize-NAME;
//            a certificate the base has already is not written twice)
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "build/artifacts.h"
#include "customize/apply.h"
#include "customize/config.h"

namespace hull::customize {

const char* TrustModeName(TrustMode m);

// The trust set as `mode` wants it in the extracted /usr tree `usr`; `keys`
// and `key_dir` are --keys (certificates alone suffice), `work` a scratch
// folder. Returns the changes for the manifest: one per certificate written
// (target its node path, detail "sha256:<fingerprint of the DER>") and one
// naming the mode. kRefused for a link on the way (tree_path.h) or a name
// the base's set has already; kInvalidArgument for more than
// node::kMaxTrustCerts of a kind; kCorrupt for a base file that is not a
// certificate.
Result<std::vector<Change>> ApplyTrust(TrustMode mode, const std::string& usr,
                                       const build::SigningKeys& keys, const std::string& key_dir,
                                       const std::string& work);

}  // namespace hull::customize
