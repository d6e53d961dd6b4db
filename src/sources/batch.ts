import type { AckResult, Batch, BatchOutcome, FileSource, ReadyFile } from '../pipeline/ports.js';
import { sha256File } from '../pipeline/hash.js';

/** What happens to a file batch once the pipeline is done with it. */
export interface FileBatchEnds {
  /** After the ledger commit (see `Batch.ack`). */
  ack(outcome: BatchOutcome): Promise<AckResult>;
  /** On a transport or ledger failure (see `Batch.nack`). */
  nack(): Promise<void>;
}

/**
 * A local, fully written file as a Batch: hashed and streamed from `file.localPath`/`file.open()`
 * through its mapping; `ends` says what ack and nack do with it. The one adapter from files to
 * batches, for file sources (see batchOfFile) and for `wharf retry`'s quarantined copies.
 */
export function fileBatch(file: ReadyFile, sourceType: string, ends: FileBatchEnds): Batch {
  const batch: Batch = {
    merchant: file.merchant,
    channel: file.channel,
    name: file.name,
    origin: file.origin,
    sourceType,
    mapping: file.mapping,
    size: file.size,
    sha256: () => sha256File(file.localPath),
    records: (mapping, ctx) => mapping.read(file.open(), ctx),
    localPath: file.localPath,
    ack: (outcome) => ends.ack(outcome),
    nack: () => ends.nack(),
  };
  if (file.verify) batch.verify = () => file.verify!();
  return batch;
}

/** A file a FileSource offered, as a Batch whose ack settles it on that source and whose nack releases it. */
export function batchOfFile(file: ReadyFile, source: FileSource): Batch {
  return fileBatch(file, source.kind, { ack: (outcome) => source.settle(file, outcome), nack: () => source.release(file) });
}
