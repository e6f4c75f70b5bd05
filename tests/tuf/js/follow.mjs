// tuf-js (an independent TUF client) refreshes against a repository with the
// trusted metadata it kept from its last run, as a node following a
// repository over time does; optionally looks up one target.
// Usage: node follow.mjs BASE_URL METADATA_DIR [TARGET]
// METADATA_DIR must hold root.json (the trusted root) before the first run.
// Prints {"ok":true,"root":N,"targets":M,"found":bool} or {"ok":false,"error":...} (exit 1).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeUpdater, run } from './updater.mjs';

const [baseUrl, metadataDir, target] = process.argv.slice(2);
const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-follow-'));
await run(async () => {
  const updater = makeUpdater(baseUrl, metadataDir, targetDir);
  await updater.refresh();
  const found = target ? Boolean(await updater.getTargetInfo(target)) : false;
  const set = updater.trustedSet;
  return { root: set.root.signed.version, targets: set.targets.signed.version, found };
}, [targetDir]);
