import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * What the push tests through the real CLI share (test/webshops/cli-*-push.test.ts,
 * daemon-push-retry.test.ts): a config head with a warehouse report folder for one merchant, a report
 * dropped as a complete file, and stock reports that each carry a later timestamp.
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
