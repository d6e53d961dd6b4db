import type { Batch } from '../pipeline/ports.js';
import { sha256 } from '../pipeline/hash.js';
import { writeQuarantine } from './quarantine.js';

/**
 * One page of a webshop/marketplace pull, as the connector returned it: the batch's identity (its
 * `name` e.g. `orders-<stamp>-p3.json`, `origin` e.g. `woocommerce orders page 3`, `mapping` the
 * connector's json input mapping whose records sit at `records`), the platform's own record objects
 * (JSON values as parsed from the API's responses), and the channel's quarantine folder, where a page
 * with invalid records is written with its report.
 */
export type PageBatchInput = Pick<Batch, 'merchant' | 'channel' | 'name' | 'origin' | 'sourceType' | 'mapping'> & {
  records: readonly unknown[];
  quarantineDir: string;
};

/**
 * An API page as a Batch, held in memory: nothing is written to disk for a clean page. Its content is
 * the page's canonical JSON `{"records":[...]}` (JSON.stringify of the records as received), whose
 * sha256 is the duplicate check and whose size counts against maxFileSize. The records go to the
 * mapping as objects. Acked as imported or duplicate: nothing to do. Acked as quarantined: the
 * canonical JSON is written to the quarantine folder with its report, a copy `wharf retry` re-imports
 * like a file (the channel's json mapping reads it the same way). Nack: nothing to give back (the
 * caller's cursor has not moved, so the page is pulled again).
 */
export function pageBatch(page: PageBatchInput): Batch {
  const json = Buffer.from(JSON.stringify({ records: page.records }));
  const hash = sha256(json);
  return {
    merchant: page.merchant,
    channel: page.channel,
    name: page.name,
    origin: page.origin,
    sourceType: page.sourceType,
    mapping: page.mapping,
    size: json.length,
    sha256: async () => hash,
    records: (mapping, ctx) => mapping.mapObjectPages(page.records, ctx),
    async ack(outcome) {
      if (outcome.outcome !== 'quarantined') return {};
      const q = await writeQuarantine(page.quarantineDir, page.name, json, outcome.reportJson, false);
      return { movedTo: q.filePath, reportPath: q.reportPath };
    },
    async nack() {},
  };
}
