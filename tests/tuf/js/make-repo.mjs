// Writes a TUF repository with @tufjs/models (independent of Hull), with one
// release target carrying Hull's custom fields. Usage: node make-repo.mjs DIR
import { Metadata, Root, Targets, Snapshot, Timestamp, Key, TargetFile, MetaFile, Signature }
  from '@tufjs/models';
import { canonicalize } from '@tufjs/canonical-json';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
fs.mkdirSync(path.join(dir, 'targets'), { recursive: true });
const expires = new Date(Date.now() + 7 * 86400 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const specVersion = '1.0.31';

function newKey() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } };
  const keyID = crypto.createHash('sha256').update(canonicalize(body)).digest('hex');
  const key = new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: raw } });
  const signer = (data) =>
    new Signature({ keyID, sig: crypto.sign(null, data, privateKey).toString('hex') });
  return { key, signer };
}

function write(name, md, signer) {
  md.sign(signer);
  const bytes = Buffer.from(JSON.stringify(md.toJSON(), null, 1));
  fs.writeFileSync(path.join(dir, name), bytes);
  return bytes;
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const keys = { root: newKey(), targets: newKey(), snapshot: newKey(), timestamp: newKey() };

const root = new Root({ version: 1, specVersion, expires, consistentSnapshot: true });
for (const [role, k] of Object.entries(keys)) root.addKey(k.key, role);
const rootBytes = write('1.root.json', new Metadata(root), keys.root.signer);
fs.writeFileSync(path.join(dir, 'root.json'), rootBytes);

const image = Buffer.from('an image published by an independent TUF implementation\n');
const targets = new Targets({ version: 1, specVersion, expires });
targets.addTarget(new TargetFile({
  path: 'hull-immutable-amd64-202612.01.0.raw',
  length: image.length,
  hashes: { sha256: sha256(image) },
  unrecognizedFields: { custom: { flavor: 'immutable', arch: 'amd64', version: '202612.01.0',
                                  channel: 'stable' } },
}));
fs.writeFileSync(path.join(dir, 'targets', `${sha256(image)}.hull-immutable-amd64-202612.01.0.raw`),
                 image);
const targetsBytes = write('1.targets.json', new Metadata(targets), keys.targets.signer);

const snapshot = new Snapshot({ version: 1, specVersion, expires, meta: {
  'targets.json': new MetaFile({ version: 1, length: targetsBytes.length,
                                 hashes: { sha256: sha256(targetsBytes) } }) } });
const snapshotBytes = write('1.snapshot.json', new Metadata(snapshot), keys.snapshot.signer);

const timestamp = new Timestamp({ version: 1, specVersion, expires, snapshotMeta:
  new MetaFile({ version: 1, length: snapshotBytes.length, hashes: { sha256: sha256(snapshotBytes) } }) });
write('timestamp.json', new Metadata(timestamp), keys.timestamp.signer);
console.log(JSON.stringify({ ok: true, dir }));
