// Peer benchmark against Node-RED 4: installs node-red@4 from npm into a cache folder (once; later
// runs reuse it), runs our flow (node-red-flow.json) headless with node-red-settings.cjs in its own
// process (worker-node-red.js) and times it like Wharf's many-files run: from the first drop into the
// watched inbox until every canonical file exists.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, dropAndWait, runWorker, waitUntil } from '../lib.js';

export const NODE_RED_SPEC = 'node-red@4';
export const FLOW_FILE = path.join(BENCH_DIR, 'peers', 'node-red-flow.json');

/** The folder node-red@4 is installed to: $BENCH_NODE_RED_DIR, else os.tmpdir()/wharf-bench-node-red/node-red-4 (kept between runs). */
export function nodeRedCacheDir() {
  return process.env.BENCH_NODE_RED_DIR || path.join(os.tmpdir(), 'wharf-bench-node-red', 'node-red-4');
}

/**
 * Makes sure node-red@4 is installed under nodeRedCacheDir() (`npm install --prefix`), installing it if
 * not. Resolves { pkgDir, version, installedMs } (installedMs 0 when the cache was used), or
 * { skip: reason } when npm fails (e.g. no network).
 */
export async function ensureNodeRed() {
  const prefix = nodeRedCacheDir();
  const pkgDir = path.join(prefix, 'node_modules', 'node-red');
  const version = () => JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  if (existsSync(path.join(pkgDir, 'red.js')) && version().startsWith('4.')) return { pkgDir, version: version(), installedMs: 0 };
  await fs.mkdir(prefix, { recursive: true });
  const started = performance.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--omit=dev', '--no-save', NODE_RED_SPEC];
  const result = await new Promise((resolve) => {
    const child = spawn(npm, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
    child.once('error', (err) => resolve({ code: -1, out: err.message }));
    child.once('exit', (code) => resolve({ code, out }));
  });
  if (result.code !== 0 || !existsSync(path.join(pkgDir, 'red.js'))) {
    const why = result.out.split('\n').find((l) => /ERR|error/i.test(l)) ?? result.out.trim().split('\n').pop() ?? '';
    return { skip: `\`npm ${args.join(' ')}\` failed (exit ${result.code}): ${why.slice(0, 200)}` };
  }
  return { pkgDir, version: version(), installedMs: performance.now() - started };
}

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Runs our flow in Node-RED on `n` files: starts Node-RED (userDir, inbox and output folder under
 * `dir`), waits for "Started flows", moves every file of `drop` into the inbox, waits until `n`
 * canonical files exist, then SIGTERMs it. Resolves runWorker's result ({ maxRssKb, userMs, systemMs,
 * hook: { ms, dropMs } }) plus { out } (the output folder) and { log } (Node-RED's console output).
 */
export async function runNodeRed({ pkgDir, dir, drop, n, timeoutMs }) {
  const userDir = path.join(dir, 'userDir');
  const inbox = path.join(dir, 'inbox');
  const out = path.join(dir, 'warehouse');
  await Promise.all([userDir, inbox, out].map((d) => fs.mkdir(d, { recursive: true })));
  const log = path.join(dir, 'node-red.log');
  const env = { BENCH_NR_FLOW: FLOW_FILE, BENCH_NR_USERDIR: userDir, BENCH_NR_PORT: String(await freePort()), BENCH_NR_INBOX: inbox, BENCH_NR_OUT: out };
  const r = await runWorker(path.join('peers', 'worker-node-red.js'), [pkgDir], {
    env,
    stderrFile: log,
    hooks: {
      onStart: async (child, exited) => {
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        const started = waitUntil(() => text.includes('Started flows'), { everyMs: 20, timeoutMs: 60_000, what: 'Node-RED to start its flows' });
        try {
          await Promise.race([started, exited.then(() => { throw new Error(`Node-RED exited early:\n${text.slice(-3000)}`); })]);
          // The watch node reports nothing about files already there, and "Started flows" comes before
          // its watcher sees events: (re)write a probe file until the flow logs that it saw it.
          const probe = path.join(inbox, '.wharf-bench-probe');
          await waitUntil(async () => {
            await fs.writeFile(probe, String(performance.now()));
            await new Promise((r) => setTimeout(r, 300)); // node-watch reports changes after a 200 ms debounce
            return text.includes('wharf-bench: watching the inbox');
          }, { everyMs: 0, timeoutMs: 60_000, what: 'Node-RED\'s watch node to see a probe file' });
          await fs.rm(probe);
          return await dropAndWait(child, drop, inbox, out, n, timeoutMs);
        } catch (err) {
          await fs.appendFile(log, text);
          throw new Error(`${err.message}; Node-RED's log: ${log} (BENCH_KEEP=1 keeps it), last lines:\n${text.slice(-2000)}`);
        }
      },
    },
  });
  await fs.appendFile(log, r.stdout);
  return { ...r, out, log };
}
