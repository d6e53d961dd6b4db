/**
 * bin/wharf.js, the launcher every test and user runs: the bundled CLI (dist/bundle/main.js, made by
 * scripts/bundle.mjs) when it is at least as new as tsc's tree (dist/cli/main.js), else the tree (a
 * `tsc` run alone must never leave an older bundle in use), and a plain message when neither exists.
 * The real launcher file runs in a scratch package whose two entries only say which one ran; the real
 * bundle of this checkout runs `--version` too.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, WHARF_BIN } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A scratch package with the real launcher and the given entries (each prints its name), mtimes in seconds. */
function scratch(name: string, entries: Partial<Record<'cli' | 'bundle', number>>): string {
  const root = path.join(dir, name);
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  copyFileSync(WHARF_BIN, path.join(root, 'bin', 'wharf.js'));
  writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  for (const [which, mtime] of Object.entries(entries)) {
    const file = path.join(root, 'dist', which, 'main.js');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `console.log(${JSON.stringify(which)});\n`);
    utimesSync(file, mtime, mtime);
  }
  return path.join(root, 'bin', 'wharf.js');
}

function run(bin: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe('bin/wharf.js', () => {
  it('runs the bundle when it is as new as the compiled tree or newer', () => {
    expect(run(scratch('newer', { cli: 1_000_000, bundle: 1_000_100 })).stdout).toBe('bundle');
    expect(run(scratch('same', { cli: 1_000_000, bundle: 1_000_000 })).stdout).toBe('bundle');
  });

  it('runs the compiled tree when it is newer than the bundle (tsc alone) or there is no bundle', () => {
    expect(run(scratch('stale', { cli: 1_000_100, bundle: 1_000_000 })).stdout).toBe('cli');
    expect(run(scratch('tree-only', { cli: 1_000_000 })).stdout).toBe('cli');
  });

  it('says how to build when there is no build output (exit 2)', () => {
    const r = run(scratch('none', {}));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the build output is missing. Run `npm run build`');
  });

  it("this checkout's bundle runs and reports the package version", () => {
    const version = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'bundle', 'main.js'), '--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
