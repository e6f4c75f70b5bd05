// tuf-js (an independent TUF client) refreshes against a repository with the
// trusted metadata it kept from its last run, as a node following a
// repository over time does; optionally looks up one target.
// Usage: node follow.mjs BASE_URL METADATA_DIR [TARGET]
// METADATA_DIR must hold root.json (the trusted root) before the first run.
// Prints {"ok":true,"root":N,"targets":M,"found":bool} or {"ok":false,"error":...} (exit 1).
import { Updater } from 'tuf-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [baseUrl, metadataDir, target] = process.argv.slice(2);
const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-follow-'));
try {
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: baseUrl,
    targetDir,
    targetBaseUrl: `${baseUrl}/targets`,
  });
  await updater.refresh();
  const found = target ? Boolean(await updater.getTargetInfo(target)) : false;
  const set = updater.trustedSet;
  console.log(JSON.stringify({
    ok: true,
    root: set.root.signed.version,
    targets: set.targets.signed.version,
    found,
  }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }));
  process.exitCode = 1;
} finally {
  fs.rmSync(targetDir, { recursive: true, force: true });
}
