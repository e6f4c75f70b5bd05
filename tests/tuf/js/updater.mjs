// Shared by the tuf-js client scripts: an Updater over one repository URL,
// and a runner that prints {"ok":true,...} or {"ok":false,"error":...} (exit
// 1) and removes the scratch directories it is given.
import { Updater } from 'tuf-js';
import fs from 'node:fs';

export function makeUpdater(baseUrl, metadataDir, targetDir) {
  return new Updater({
    metadataDir,
    metadataBaseUrl: baseUrl,
    targetDir,
    targetBaseUrl: `${baseUrl}/targets`,
  });
}

export async function run(body, scratchDirs) {
  try {
    console.log(JSON.stringify({ ok: true, ...(await body()) }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }));
    process.exitCode = 1;
  } finally {
    for (const d of scratchDirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
