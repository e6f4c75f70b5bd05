// tuf-js (an independent TUF client) refreshes a repository and downloads one
// target. Usage: node client.mjs BASE_URL TRUSTED_ROOT TARGET OUT_FILE
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeUpdater, run } from './updater.mjs';

const [baseUrl, trustedRoot, target, outFile] = process.argv.slice(2);
const metadataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-meta-'));
const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-targets-'));
fs.copyFileSync(trustedRoot, path.join(metadataDir, 'root.json'));
await run(async () => {
  const updater = makeUpdater(baseUrl, metadataDir, targetDir);
  await updater.refresh();
  const info = await updater.getTargetInfo(target);
  if (!info) throw new Error(`target ${target} not found`);
  const file = await updater.downloadTarget(info, outFile);
  return { length: info.length, custom: info.custom, file };
}, [metadataDir, targetDir]);
