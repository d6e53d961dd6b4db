import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { REPO, WHARF_BIN, type CliResult } from '../cli.js';

/**
 * What the push tests through the real CLI share (test/webshops/cli-*-push.test.ts,
 * daemon-push-retry.test.ts): a config head with a warehouse report folder for one merchant, a report
 * dropped as a complete file, stock reports that each carry a later timestamp, the daemon killed
 * (`kill -9`) in the middle of a push, and the shipment push's state in `wharf status --json`.
 */

/** `SKU-0007`: the test catalogues' SKUs. */
export const pushSku = (i: number): string => `SKU-${String(i).padStart(4, '0')}`;

/**
 * The config up to (not including) `merchants:`: a SQLite ledger, mappings and data under `dir`, the
 * warehouse order folder `dir/warehouse`, and the report source `wms` (a folder, quick to settle) for
 * `merchant` taking `stock*.csv` and `ship*.csv` with the bundled warehouse mappings. `extra`: more
 * top-level lines (e.g. `delivery: { maxBackoff: 2 }`).
 */
export function reportConfigHead(o: { dir: string; mappings: string; reports: string; merchant: string; extra?: string }): string {
  return `ledger: { path: ${o.dir}/wharf.sqlite }
mappings: ${o.mappings}
dataDir: ${o.dir}/var
schedule: { timezone: Europe/Amsterdam }
${o.extra ? `${o.extra.trimEnd()}\n` : ''}warehouse:
  orders: { path: ${o.dir}/warehouse }
  reports:
    wms:
      type: folder
      path: ${o.reports}
      minAge: 0.1
      pollInterval: 0.2
      merchant: ${o.merchant}
      files:
        - { pattern: "stock*.csv", mapping: warehouse-stock-csv }
        - { pattern: "ship*.csv", mapping: warehouse-shipments-csv }
`;
}

/** Drops a report into `folder` as a complete file: written under a dot-name in `work`, then renamed. */
export async function dropReport(work: string, folder: string, name: string, text: string): Promise<void> {
  const tmp = path.join(work, `.${name}`);
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, path.join(folder, name));
}

/**
 * A series of warehouse stock reports (mappings/warehouse-stock-csv.yaml layout): each call renders
 * `[sku, quantity]` rows stamped a day later than the last (2026-11-21, -22, … up to -29), so no report
 * is older than the one before.
 */
export function stockReportSeries(): (rows: [string, number][]) => string {
  let n = 0;
  return (rows) => {
    n++;
    const ts = `2026-11-2${Math.min(n, 9)} 10:00:00`;
    return ['ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP', ...rows.map(([s, q]) => `${s};;${q};;${ts}`)].join('\n') + '\n';
  };
}

/**
 * A crash in the middle of a push: starts the daemon (`wharf run --config <config>`, the compiled CLI,
 * `env` added to the test's environment), waits until `until()` holds — an outcome on the test
 * server, e.g. the first batches applied or a shipment write applied with its answer held — polling
 * every 20 ms, then kills it with SIGKILL and waits for its exit. Throws, after killing it, when
 * `until()` did not hold within `deadlineMs` (default 60 s), and when the daemon exited by itself
 * first; both with the end of the daemon's stderr.
 */
export async function killMidPush(o: { config: string; env: NodeJS.ProcessEnv; until: () => boolean; deadlineMs?: number }): Promise<void> {
  const child = spawn(process.execPath, [WHARF_BIN, 'run', '--config', o.config], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (c) => {
    code = c;
    resolve();
  }));
  const deadline = Date.now() + (o.deadlineMs ?? 60_000);
  while (!o.until() && code === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const reached = o.until();
  const exitedFirst = code !== undefined;
  child.kill('SIGKILL');
  await exited;
  if (exitedFirst && !reached) throw new Error(`the daemon exited (code ${code}) before the moment to kill it came:\n${stderr}`);
  if (!reached) throw new Error(`the moment to kill the daemon did not come within ${o.deadlineMs ?? 60_000} ms:\n${stderr}`);
}

/** The shipment push of one channel in `wharf status --json`: rows pending, and the failed/retrying ones with the shop's message. */
export interface ShipmentPushStatus {
  pending: number;
  failed: number;
  retrying: number;
  problems: { id: number; shipmentId: string; state: string; message: string }[];
}

/** Reads the shipment push of `channel` (merchant/channel) from `wharf status --json` (the `run` of the test file). */
export async function shipmentPushStatus(run: (args: string[]) => Promise<CliResult>, channel: string): Promise<ShipmentPushStatus | undefined> {
  const r = await run(['status', '--json']);
  const json = JSON.parse(r.stdout) as { pushes: { channel: string; shipments?: ShipmentPushStatus }[] };
  return json.pushes.find((p) => p.channel === channel)?.shipments;
}

/**
 * The repo's mappings copied to `<dir>/mappings`, plus `<name>.yaml`: the platform's bundled order
 * mapping (`<platform>.order.yaml`) whose line list (`from: <linesFrom>`) expands bundles from the lookup
 * table `lookups/<name>-bundles.yaml` (`bundles`: bundle SKU → components; docs/exports.md "Bundle
 * stock"). Returns the mappings folder. Throws when the platform mapping has no such line list.
 */
export async function mappingsWithBundles(dir: string, o: { platform: string; linesFrom: string; name: string; bundles: Record<string, { sku: string; quantity: number }[]> }): Promise<string> {
  const mappings = path.join(dir, 'mappings');
  await fs.cp(path.join(REPO, 'mappings'), mappings, { recursive: true });
  const table = Object.entries(o.bundles).map(([bundle, parts]) => `${bundle}:\n${parts.map((p) => `  - { sku: ${p.sku}, quantity: ${p.quantity} }\n`).join('')}`).join('');
  await fs.writeFile(path.join(mappings, `lookups/${o.name}-bundles.yaml`), table);
  const base = await fs.readFile(path.join(mappings, `${o.platform}.order.yaml`), 'utf8');
  const lookup = `  bundles: { file: lookups/${o.name}-bundles.yaml }\n`;
  const withLookup = base.includes('\nlookups:\n') ? base.replace('\nlookups:\n', `\nlookups:\n${lookup}`) : base.replace('\nfields:\n', `\nlookups:\n${lookup}\nfields:\n`);
  const withBundles = withLookup.replace(`    from: ${o.linesFrom}\n`, `    from: ${o.linesFrom}\n    bundles: bundles\n`);
  if (!withBundles.includes('bundles: bundles')) throw new Error(`${o.platform}.order.yaml has no line list "from: ${o.linesFrom}"`);
  await fs.writeFile(path.join(mappings, `${o.name}.yaml`), withBundles);
  return mappings;
}
