// Runs Node-RED (red.js of an installed node-red package) in this process with our settings and flow,
// and reports its peak RSS (process.resourceUsage().maxRSS) to $BENCH_RESULT when it exits (SIGTERM:
// red.js stops the flows, then exits).
// Usage: node bench/peers/worker-node-red.js NODE_RED_PACKAGE_DIR   (env: BENCH_NR_FLOW, BENCH_NR_USERDIR, BENCH_NR_PORT)
import { createHash } from 'node:crypto';
import path from 'node:path';
import { columnsOf, mapOrder } from '../bare-map.js';
import { fileNameFragment } from '../../dist/transports/names.js';
import { BENCH_DIR, report } from '../lib.js';

const [pkgDir] = process.argv.slice(2);
globalThis.wharfBenchPeer = {
  mapOrder,
  columnsOf,
  fileNameFragment,
  sha256: (text) => createHash('sha256').update(text).digest('hex'),
};
const red = path.join(pkgDir, 'red.js');
process.argv = [process.argv[0], red, '--settings', path.join(BENCH_DIR, 'peers', 'node-red-settings.cjs'), '--userDir', process.env.BENCH_NR_USERDIR, process.env.BENCH_NR_FLOW];
process.on('exit', (code) => report({ elapsedMs: performance.now(), exitCode: code }));
await import(red);
