#!/usr/bin/env node
/**
 * Bundles the compiled CLI (tsc's dist/cli/main.js and everything it imports) into dist/bundle/, so a
 * process start reads and links a few files instead of ~250 modules (docs/benchmarks.md "push: process
 * start"). Run after tsc and build-validators by `npm run build`, `prepare` (so `npm ci`) and `pretest`.
 * bin/wharf.js runs dist/bundle/main.js when it is at least as new as dist/cli/main.js (else the
 * compiled tree: a `tsc` run alone never leaves a stale bundle in use).
 *
 * - Code splitting, ESM: each verb's `await import(...)` stays a separate chunk, loaded when it runs.
 * - dist/pipeline/read-worker.js is a second entry, dist/bundle/read-worker.js: read-pool starts it as
 *   `new URL('./read-worker.js', import.meta.url)`, which in the bundle is next to the chunks.
 * - dist/validators.cjs stays a separate file (src/schemas.ts requires it at run time); src/schemas.ts
 *   finds the package root one folder further up when `WHARF_BUNDLED` is defined (below).
 * - Only the pure-JavaScript packages in BUNDLED are copied in; every other package stays an import of
 *   node_modules: native ones (better-sqlite3, ssh2, cpu-features), pino (its transports start worker
 *   files from its own folder), the ones loaded on demand with createRequire (jsonata,
 *   fast-xml-parser, ajv) and the rest of the operations and SFTP stacks.
 * Uses rolldown (https://rolldown.rs/reference/), a pinned devDependency (vite's bundler).
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/bundle`;

/** Packages copied into the bundle: plain JavaScript, loaded on the common paths, no files of their own read at run time. */
const BUNDLED = new Set(['commander', 'yaml', 'luxon', 'croner', 'csv-parse', 'csv-stringify']);

/** The package name of a bare import (`@scope/name/sub` → `@scope/name`). */
function packageOf(id) {
  const parts = id.split('/');
  return id.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const started = performance.now();
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  cwd: ROOT,
  input: { main: `${ROOT}dist/cli/main.js`, 'read-worker': `${ROOT}dist/pipeline/read-worker.js` },
  platform: 'node',
  external: (id) => {
    if (id.startsWith('node:')) return true;
    if (id.startsWith('.') || id.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(id)) return false;
    return !BUNDLED.has(packageOf(id));
  },
  transform: { define: { WHARF_BUNDLED: 'true' } },
  output: { dir: OUT, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
  // A module both imported and dynamically imported simply stays in its chunk: not worth a warning each build.
  onLog(level, log, handler) {
    if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
    handler(level, log);
  },
});
console.log(`bundle: ${result.output.length} files -> ${OUT} (${Math.round(performance.now() - started)} ms)`);
