// Runs the real Wharf CLI (bin/wharf.js, i.e. dist/cli/main.js) in this process and, when it exits,
// reports its peak RSS (process.resourceUsage().maxRSS) and run time to $BENCH_RESULT.
// Usage: node bench/worker-wharf.js once --config FILE   (any wharf arguments)
// BENCH_MEMLOG=FILE additionally appends process.memoryUsage() once a second (to see where RSS goes).
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, report } from './lib.js';

const bin = path.join(ROOT, 'bin', 'wharf.js');
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
process.on('exit', (code) => report({ elapsedMs: performance.now(), exitCode: code }));
if (process.env.BENCH_MEMLOG) {
  const file = process.env.BENCH_MEMLOG;
  const mb = (n) => Math.round(n / 2 ** 20);
  setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ s: Math.round(performance.now() / 1000), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) })}\n`);
  }, 1000).unref();
}
await import(bin);
