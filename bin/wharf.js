#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm run build` (run automatically by `npm ci`/`npm install`).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('wharf: the build output is missing. Run `npm run build` (or `npm ci`) first.');
    process.exit(2);
  }
  throw err;
});
