import type { InputMapping, MappingContext } from '../mapping/types.js';
import type { Batch } from './ports.js';
import type { MerchantRule, Provenance } from './records.js';
import { checkedChunks, type CheckedItem } from './checked.js';
import { readInWorker, workerReadable } from './read-pool.js';

export type { CheckedItem } from './checked.js';

/** What `readChecked` needs besides the batch: the mapping context and checkRecord's inputs. */
export interface ReadOptions {
  ctx: MappingContext;
  provenance: Omit<Provenance, 'recordNo'>;
  merchantOf?: MerchantRule;
  mappingsDir: string;
}

/**
 * The batch's records, checked, in record order, as arrays of up to READ_CHUNK. A batch backed by a
 * local file is read in the read worker (src/pipeline/read-pool.ts), so parsing, mapping and schema
 * checks run on a second core while this thread writes the ledger; other batches (API pages) are read
 * here through `batch.records`. Both give the same items and the same errors: a ContentError for a
 * batch that cannot be read on, thrown after every record read before it was yielded.
 */
export async function* readChecked(batch: Batch, mapping: InputMapping, options: ReadOptions): AsyncGenerator<CheckedItem[]> {
  if (batch.localPath !== undefined && workerReadable()) {
    yield* readInWorker({
      path: batch.localPath,
      mapping: mapping.name,
      kind: mapping.kind,
      mappingsDir: options.mappingsDir,
      ctx: { merchant: options.ctx.merchant, channel: options.ctx.channel, fileName: options.ctx.fileName },
      provenance: options.provenance,
      ...(options.merchantOf ? { merchantOf: options.merchantOf } : {}),
    }, options.ctx.notice);
    return;
  }
  yield* checkedChunks(batch.records(mapping, options.ctx), mapping, options);
}

