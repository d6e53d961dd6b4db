import { promises as fs, constants } from 'node:fs';
import type { FolderChannelConfig } from '../config/types.js';

/** `wharf test-connection` for a folder channel: the inbox exists and Wharf can read, move and write there. */
export async function testFolder(c: FolderChannelConfig): Promise<{ ok: boolean; steps: { step: string; ok: boolean; detail: string }[] }> {
  const steps: { step: string; ok: boolean; detail: string }[] = [];
  const check = async (step: string, dir: string, create: boolean) => {
    try {
      if (create) await fs.mkdir(dir, { recursive: true });
      await fs.access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
      steps.push({ step, ok: true, detail: `${dir} is readable and writable` });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist (is the volume mounted?)' : code === 'EACCES' ? 'is not readable and writable by this user' : String(code);
      steps.push({ step, ok: false, detail: `${dir} ${why}` });
    }
  };
  await check('inbox', c.path, false);
  if (c.afterImport !== 'keep' && c.afterImport !== 'delete' && c.archiveDir) await check('archive folder', c.archiveDir, true);
  if (c.quarantineDir) await check('quarantine folder', c.quarantineDir, true);
  return { ok: steps.every((s) => s.ok), steps };
}
