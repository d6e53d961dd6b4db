import { promises as fs, constants } from 'node:fs';
import path from 'node:path';
import type { FolderChannelConfig } from '../config/types.js';
import { configDefaults } from '../config/types.js';
import { describeRawName, isIgnoredName, unsafeNameReason, doneSuffixOf } from '../transports/names.js';
import { compileRules, mappingFor } from '../sources/pattern.js';
import { describeWaiting as waitingLine } from '../sources/waiting.js';

type Step = { step: string; ok: boolean; detail: string };

/**
 * `wharf test-connection` for a folder channel: the inbox exists and Wharf can read, move and write
 * there, and what waits in it, counted as the source sees it. It changes nothing: a missing archive or
 * quarantine folder is not created, only the folder it would be created in is checked.
 */
export async function testFolder(c: FolderChannelConfig): Promise<{ ok: boolean; steps: Step[] }> {
  const steps: Step[] = [];
  const inboxOk = await checkDir(steps, 'inbox', c.path, c.create ? 'does not exist yet; it is created at the first start (create: true)' : undefined);
  if (c.afterImport !== 'keep' && c.afterImport !== 'delete') await checkDir(steps, 'archive folder', c.archiveDir ?? path.join(c.path, 'archive'));
  await checkDir(steps, 'quarantine folder', c.quarantineDir ?? path.join(c.path, 'quarantine'));
  if (inboxOk === 'exists') steps.push({ step: 'files', ok: true, detail: await describeWaiting(c) });
  return { ok: steps.every((s) => s.ok), steps };
}

async function checkDir(steps: Step[], step: string, dir: string, missingOk?: string): Promise<'exists' | 'missing' | 'bad'> {
  const st = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) {
    if (st.code !== 'ENOENT') {
      steps.push({ step, ok: false, detail: `${dir} cannot be read (${st.code ?? st.message})` });
      return 'bad';
    }
    if (missingOk) {
      steps.push({ step, ok: true, detail: `${dir} ${missingOk}` });
      return 'missing';
    }
    if (step === 'inbox') {
      steps.push({ step, ok: false, detail: `${dir} does not exist (is the volume mounted?); create it, or set create: true to let Wharf create it` });
      return 'missing';
    }
    // Archive and quarantine folders are created when first needed: their parent must allow that.
    const parent = path.dirname(dir);
    const writable = await fs.access(parent, constants.W_OK | constants.X_OK).then(() => true, () => false);
    steps.push({ step, ok: writable, detail: writable ? `${dir} does not exist yet; it is created when first needed (${parent} is writable)` : `${dir} does not exist and ${parent} is not writable by this user, so it cannot be created` });
    return 'missing';
  }
  if (!st.isDirectory()) {
    steps.push({ step, ok: false, detail: `${dir} exists but is not a folder` });
    return 'bad';
  }
  try {
    await fs.access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    steps.push({ step, ok: true, detail: `${dir} is readable and writable` });
    return 'exists';
  } catch {
    steps.push({ step, ok: false, detail: `${dir} is not readable and writable by this user` });
    return 'bad';
  }
}

/**
 * Files waiting in the inbox, counted as the source counts them (src/sources/folder/source.ts): taken
 * by a pattern, waiting for their done-file, matching no pattern, or not taken and why (a name that is
 * not valid UTF-8 or not a plain name, a folder or link a pattern names, a done-file without its data).
 */
async function describeWaiting(c: FolderChannelConfig): Promise<string> {
  const rules = compileRules(c.files);
  const d = configDefaults.folder;
  const doneSuffix = doneSuffixOf(c.doneFiles, d.doneFileSuffix);
  const root = await fs.realpath(c.path);
  let taken = 0;
  const awaitingDone: string[] = [];
  const unmatched: string[] = [];
  const refused: string[] = [];
  const entries = await fs.readdir(c.path, { withFileTypes: true, encoding: 'buffer' });
  const valid = new Map<string, (typeof entries)[number]>();
  for (const e of entries) {
    const raw = describeRawName(e.name);
    if (raw.valid) valid.set(raw.text, e);
    else refused.push(`${raw.text} (name not valid UTF-8; rename it)`);
  }
  for (const [name, e] of [...valid].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (isIgnoredName(name)) continue;
    if (e.isDirectory()) {
      const own = [c.archiveDir ?? path.join(c.path, 'archive'), c.quarantineDir ?? path.join(c.path, 'quarantine')].includes(path.join(c.path, name));
      if (!own && mappingFor(rules, name)) refused.push(`${name} (a folder, not a file)`);
      continue;
    }
    if (doneSuffix && name.endsWith(doneSuffix)) {
      if (!valid.has(name.slice(0, -doneSuffix.length))) refused.push(`${name} (done-file without its data file)`);
      continue;
    }
    const unsafe = unsafeNameReason(name);
    if (unsafe) {
      refused.push(`${JSON.stringify(name)} (${unsafe})`);
      continue;
    }
    const full = path.join(c.path, name);
    if (!e.isFile()) {
      const target = await fs.stat(full).catch(() => undefined);
      if (e.isSymbolicLink() && target?.isDirectory()) {
        if (mappingFor(rules, name)) refused.push(`${name} (symbolic link to a folder)`);
        continue;
      }
      const real = target?.isFile() ? await fs.realpath(full) : undefined;
      if (!e.isSymbolicLink() || !real || !real.startsWith(root + path.sep)) {
        refused.push(`${name} (${!e.isSymbolicLink() ? 'not a regular file' : !target ? 'broken symbolic link' : !real ? 'symbolic link to something that is not a regular file' : `symbolic link to ${real}, outside the folder`})`);
        continue;
      }
    }
    if (!mappingFor(rules, name)) unmatched.push(name);
    else if (doneSuffix && !valid.has(name + doneSuffix)) awaitingDone.push(name);
    else taken++;
  }
  return waitingLine({ taken, awaitingDone, unmatched, refused }, doneSuffix);
}
