// tuf-js (an independent TUF client) refreshes a repository and downloads one
// target. Usage: node client.mjs BASE_URL TRUSTED_ROOT TARGET OUT_FILE
import { Updater } from 'tuf-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [baseUrl, trustedRoot, target, outFile] = process.argv.slice(2);
const metadataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-meta-'));
const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-targets-'));
fs.copyFileSync(trustedRoot, path.join(metadataDir, 'root.json'));
try {
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: baseUrl,
    targetDir,
    targetBaseUrl: `${baseUrl}/targets`,
  });
  await updater.refresh();
  const info = await updater.getTargetInfo(target);
  if (!info) throw new Error(`target ${target} not found`);
  const file = await updater.downloadTarget(info, outFile);
  console.log(JSON.stringify({ ok: true, length: info.length, custom: info.custom, file }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }));
  process.exitCode = 1;
} finally {
  fs.rmSync(metadataDir, { recursive: true, force: true });
  fs.rmSync(targetDir, { recursive: true, force: true });
}
