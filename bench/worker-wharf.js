// Runs the real Wharf CLI (bin/wharf.js, i.e. dist/cli/main.js) in this process and, when it exits,
// reports its peak RSS (process.resourceUsage().maxRSS) and run time to $BENCH_RESULT.
// Usage: node bench/worker-wharf.js once --config FILE   (any wharf arguments)
import path from 'node:path';
import { ROOT, report } from './lib.js';

const bin = path.join(ROOT, 'bin', 'wharf.js');
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
process.on('exit', (code) => report({ elapsedMs: performance.now(), exitCode: code }));
await import(bin);
