#!/usr/bin/env python3
"""Writes keytypes-root.json and keytypes-targets.json, the vectors of
tests/tuf/keytypes_test.cc, with securesystemslib (not Hull) doing the keys,
key ids and signatures. Regenerate (new random keys) with:

  PYTHONPATH=/work/shared/vendor/tuf-conformance/securesystemslib \\
    python3 tests/tuf/data/make_keytypes_root.py tests/tuf/data

The root names one key of each type Hull verifies, under opaque key ids (not
hashes of the keys) and with extra fields a real root carries (Sigstore's:
keyid_hash_algorithms, x-tuf-on-ci-keyowner). Role root: all four keys,
threshold 4. Role targets: the Ed25519 key listed twice, under a second id
with its hex in upper case, threshold 2; keytypes-targets.json is signed by
that one key under both ids, so it must NOT meet the threshold."""
import json, sys
from cryptography.hazmat.primitives.asymmetric.ec import SECP384R1, generate_private_key
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, SSlibKey

out = sys.argv[1]
ed = CryptoSigner.generate_ed25519(keyid="ed25519-key")
p256 = CryptoSigner.generate_ecdsa(keyid="ecdsa-p256-key")
p384_private = generate_private_key(SECP384R1())
p384_public = SSlibKey.from_crypto(p384_private.public_key(), "ecdsa-p384-key",
                                   "ecdsa-sha2-nistp384")

class P384Signer:  # CryptoSigner signs P-256 only; SSlibKey verifies P-384 (below)
    public_key = p384_public
    def sign(self, payload):
        from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
        from cryptography.hazmat.primitives.hashes import SHA384
        from securesystemslib.signer import Signature
        return Signature(p384_public.keyid, p384_private.sign(payload, ECDSA(SHA384())).hex())

p384 = P384Signer()
rsa = CryptoSigner.generate_rsa(keyid="rsa-pss-key", size=2048)
signers = [ed, p256, p384, rsa]

def key_json(signer):
    k = signer.public_key.to_dict()
    k["keyid_hash_algorithms"] = ["sha256", "sha512"]
    k["x-tuf-on-ci-keyowner"] = "@hull-test"
    return k

keys = {s.public_key.keyid: key_json(s) for s in signers}
ed_upper = dict(keys["ed25519-key"])
ed_upper["keyval"] = {"public": ed_upper["keyval"]["public"].upper()}
keys["ed25519-key-upper"] = ed_upper
ids = [s.public_key.keyid for s in signers]
root = {"_type": "root", "spec_version": "1.0.31", "version": 1,
        "expires": "2099-01-01T00:00:00Z", "consistent_snapshot": True, "keys": keys,
        "roles": {"root": {"keyids": ids, "threshold": 4},
                  "targets": {"keyids": ["ed25519-key", "ed25519-key-upper"], "threshold": 2},
                  "snapshot": {"keyids": ["ecdsa-p256-key"], "threshold": 1},
                  "timestamp": {"keyids": ["rsa-pss-key"], "threshold": 1}}}

def envelope(signed, sigs):
    return json.dumps({"signatures": sigs, "signed": signed}, indent=1) + "\n"

payload = encode_canonical(root).encode()
sigs = [s.sign(payload) for s in signers]
for s, sig in zip(signers, sigs):
    s.public_key.verify_signature(sig, payload)  # securesystemslib's own check
sigs = [sig.to_dict() for sig in sigs]
open(f"{out}/keytypes-root.json", "w").write(envelope(root, sigs))
targets = {"_type": "targets", "spec_version": "1.0.31", "version": 1,
           "expires": "2099-01-01T00:00:00Z", "targets": {}}
payload = encode_canonical(targets).encode()
sig = ed.sign(payload).signature
open(f"{out}/keytypes-targets.json", "w").write(envelope(targets, [
    {"keyid": "ed25519-key", "sig": sig}, {"keyid": "ed25519-key-upper", "sig": sig}]))
