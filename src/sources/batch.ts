import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import type { AckResult, Batch, BatchOutcome, FileSource, ReadyFile } from '../pipeline/ports.js';
import { sha256, sha256File } from '../pipeline/hash.js';
import { TransportError } from '../errors.js';

/** What happens to a file batch once the pipeline is done with it. */
export interface FileBatchEnds {
  /** After the ledger commit (see `Batch.ack`). */
  ack(outcome: BatchOutcome): Promise<AckResult>;
  /** On a transport or ledger failure (see `Batch.nack`). */
  nack(): Promise<void>;
}

/**
 * Files up to this size (bytes) are read once into memory, hashed and parsed from those bytes on the
 * main thread. For a single order (~1 KB) the read worker's thread hop, and reading the file three
 * times (probe, hash, parse), cost several times the parsing itself (docs/benchmarks.md, many-files).
 */
export const IN_MEMORY_MAX = 64 * 1024;

/**
 * A local, fully written file as a Batch: hashed and read through its mapping from
 * `file.localPath`/`file.open()`; `ends` says what ack and nack do with it. A file of at most
 * IN_MEMORY_MAX bytes is read once into memory: its hash and its records come from the same bytes,
 * and it is parsed here rather than in the read worker (its Batch has no `localPath`). A larger file
 * is hashed and parsed as streams (memory does not grow with it), parsed in the read worker. The one
 * adapter from files to batches, for file sources (see batchOfFile) and for `wharf retry`'s
 * quarantined copies.
 */
export function fileBatch(file: ReadyFile, sourceType: string, ends: FileBatchEnds): Batch {
  const small = file.size <= IN_MEMORY_MAX;
  let held: Promise<Buffer> | undefined;
  const bytes = () => (held ??= readSmall(file));
  const batch: Batch = {
    merchant: file.merchant,
    channel: file.channel,
    name: file.name,
    origin: file.origin,
    sourceType,
    mapping: file.mapping,
    size: file.size,
    sha256: small ? async () => sha256(await bytes()) : () => sha256File(file.localPath),
    records: small
      ? (mapping, ctx) => (async function* () {
          yield* mapping.readPages(Readable.from([await bytes()], { objectMode: false }), ctx);
        })()
      : (mapping, ctx) => mapping.readPages(file.open(), ctx),
    ack: (outcome) => ends.ack(outcome),
    nack: () => ends.nack(),
  };
  if (!small) batch.localPath = file.localPath;
  // The rejection, if any, stays in `held` for sha256/records to throw; this handler only keeps it from being unhandled.
  else batch.prefetch = () => void bytes().catch(() => undefined);
  if (file.verify) batch.verify = () => file.verify!();
  return batch;
}

/**
 * The bytes of a small file, read with one open, one read and one close. Reads at most one byte more
 * than the size offered, so a file that grew meanwhile costs no memory; that file is not the one
 * offered: FILE_CHANGED (from `verify`, or here), and it is taken again once stable.
 */
async function readSmall(file: ReadyFile): Promise<Buffer> {
  const handle = await fs.open(file.localPath, 'r');
  let length = 0;
  const buf = Buffer.allocUnsafe(file.size + 1);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buf.length) break;
    }
  } finally {
    await handle.close();
  }
  if (length !== file.size) {
    await file.verify?.();
    throw new TransportError(`${file.name} changed while it was being read (size ${file.size} -> ${length === buf.length ? `more than ${file.size}` : length})`, {
      where: file.origin,
      hint: 'let the sender write under a temporary name (.tmp, .part or a dotfile) and rename it when done, or use done-files',
    }, undefined, 'FILE_CHANGED');
  }
  return buf.subarray(0, length);
}

/** A file a FileSource offered, as a Batch whose ack settles it on that source and whose nack releases it. */
export function batchOfFile(file: ReadyFile, source: FileSource): Batch {
  return fileBatch(file, source.kind, { ack: (outcome) => source.settle(file, outcome), nack: () => source.release(file) });
}
