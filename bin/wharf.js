#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm run build` (run automatically by `npm ci`/`npm install`).
// It runs the bundled CLI (dist/bundle/main.js, scripts/bundle.mjs: a few files load faster than the
// ~250 modules of dist/) unless the compiled tree is newer (a `tsc` run without the bundle step), so a
// stale bundle never runs.
import { statSync } from 'node:fs';

function entry() {
  try {
    const bundle = new URL('../dist/bundle/main.js', import.meta.url);
    if (statSync(bundle).mtimeMs >= statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs) return bundle.href;
  } catch {
    // No bundle (or no compiled tree): the compiled tree, or the message below.
  }
  return new URL('../dist/cli/main.js', import.meta.url).href;
}

import(entry()).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/(cli|bundle)\/main\.js/.test(String(err.message))) {
    console.error('wharf: the build output is missing. Run `npm run build` (or `npm ci`) first.');
    process.exit(2);
  }
  throw err;
});
