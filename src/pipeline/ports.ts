import type { Readable, Writable } from 'node:stream';
import type { InputMapping, MappedRecord, MappingContext } from '../mapping/types.js';

/**
 * How the pipeline ended a batch, handed to `Batch.ack` after the ledger commit: `imported` (every
 * record committed), `duplicate` (same content as an earlier batch; nothing read), or `quarantined`
 * with the error report as JSON text (rejected as a whole, or partly imported: its valid records are
 * committed and the report lists the invalid ones). `sha256` is the content's hash as it was read.
 */
export type BatchOutcome =
  | { outcome: 'imported'; sha256?: string }
  | { outcome: 'duplicate'; sha256?: string }
  | { outcome: 'quarantined'; reportJson: string };

/** What `Batch.ack` did with the batch's content. */
export interface AckResult {
  /** Where the content ended up (archive path, quarantine path), if it was moved or written. */
  movedTo?: string;
  /**
   * Where the error report was written (quarantined batches): a local file the pipeline rewrites
   * once the ledger has given the batch its file id (for `wharf retry <id>`).
   */
  reportPath?: string;
}

/**
 * One batch of records on its way into the ledger: a file (folder, SFTP, a quarantined copy being
 * retried), an API page, later a webhook body. The pipeline knows no transport: it reads the records,
 * commits them, then calls `ack` exactly once with the outcome, or `nack` on a transport or ledger
 * failure (anything but a content error). Side effects on the source (archive, delete, quarantine)
 * happen only in `ack`, so a crash before it means the batch comes again and its content hash makes
 * that a no-op (DESIGN rule 3).
 */
export interface Batch {
  merchant: string;
  channel: string;
  /** The batch's name: a file's base name (checked by `assertSafeName`), or e.g. `orders-<stamp>-p1.json` for an API page. */
  name: string;
  /** Where it came from (folder path, remote path, `woocommerce orders page 3`), for logs, reports and status. */
  origin: string;
  /** What brought it, as canonical records name it in `source.type`: `folder`, `sftp`, `woocommerce`, ... */
  sourceType: string;
  /** Mapping name (in `mappings/`) that turns the batch's records into canonical ones. */
  mapping: string;
  /** Size of the content in bytes (an API page: its canonical JSON), checked against the channel's maxFileSize. */
  size: number;
  /**
   * sha256 (hex) of the content: a file's bytes, an API page's canonical JSON (computed in memory).
   * The ledger's duplicate check: the same content on the same channel is imported once.
   */
  sha256(): Promise<string>;
  /**
   * The batch's records in pages, read with its input mapping (loaded by the pipeline from
   * `mapping`): a file is streamed through `mapping.readPages`, already parsed records go through
   * `mapping.mapObjectPages`. Whole-batch content problems throw a ContentError (the batch is
   * quarantined), after the records read before them.
   */
  records(mapping: InputMapping, ctx: MappingContext): AsyncIterable<MappedRecord[]>;
  /**
   * A local file holding exactly the content `records` reads (file batches), if any: the pipeline may
   * read that file in its read worker (src/pipeline/read-pool.ts) instead of calling `records`. Unset
   * for files small enough to be read in memory (see IN_MEMORY_MAX in src/sources/batch.ts).
   */
  localPath?: string;
  /**
   * Starts reading the content now, in the background (a small file into memory), so that reading it
   * overlaps the work on the batch before it; optional. Errors are not thrown here: `sha256` and
   * `records` throw them when called. `verify` still runs after reading, so a file read early is
   * checked like any other.
   */
  prefetch?(): void;
  /**
   * Checks, after reading and just before the ledger commit, that the content is still the one that
   * was offered (a file's size, mtime and, for local files, inode). Throws a retryable FILE_CHANGED
   * error when it is not: the pipeline then rolls back and nacks. Absent for content held in memory.
   */
  verify?(): Promise<void>;
  /** After the ledger commit: archive/delete/keep the content, or put it in quarantine with its report. */
  ack(outcome: BatchOutcome): Promise<AckResult>;
  /** Gives the batch back untouched (transport or ledger failure): its source offers it again later. */
  nack(): Promise<void>;
}

/**
 * A file as a file source (folder, SFTP) offers it; `batchOfFile` in src/sources turns it into a
 * Batch, with the source's `settle`/`release` as its ack/nack.
 */
export interface ReadyFile {
  merchant: string;
  channel: string;
  /** The file's base name as the source knows it, already checked by `assertSafeName`. */
  name: string;
  /** Where the source found it (folder path or remote path), for logs, reports and status. */
  origin: string;
  size: number;
  /** Modification time in ms since the epoch, as the source reported it. */
  mtimeMs: number;
  /** Mapping name (in `mappings/`) chosen by the source's pattern rules. */
  mapping: string;
  /** A local, fully written copy to read (the file itself for folders; a staged download for SFTP). */
  localPath: string;
  /** Opens the local copy for reading (from the start). */
  open(): Readable;
  /** See `Batch.verify`: the file is still the one offered (size, mtime, inode), else FILE_CHANGED. */
  verify?(): Promise<void>;
}

/**
 * A transport that offers files (folder, SFTP). The daemon polls it and hands each ready file to the
 * pipeline as a Batch; `settle` and `release` are that batch's ack and nack.
 */
export interface FileSource {
  readonly kind: string;
  readonly merchant: string;
  readonly channel: string;
  /** Connects if needed. Transport errors are TransportError (retryable). */
  open(): Promise<void>;
  /**
   * One look at the source. Returns the files that are complete now (stable size and mtime across two
   * looks and seen for at least the minimum age), at most `maxFiles`. A file returned here is not
   * returned again by a later poll until it has been settled or released.
   */
  poll(): Promise<ReadyFile[]>;
  /** After the ledger commit: archive/delete/keep, or move to quarantine with its report. */
  settle(file: ReadyFile, outcome: BatchOutcome): Promise<AckResult>;
  /** Gives a file back untouched (transport or ledger failure): a later poll offers it again. */
  release(file: ReadyFile): Promise<void>;
  /** Files seen but not yet complete: `wharf once` keeps looking while there are any. */
  readonly pending: number;
  /**
   * What the pending files wait for, in words that follow "waiting for", e.g. `minAge: unchanged for
   * 5 s across two looks` or `their done-file (<name>.done)`; absent when the source cannot say.
   */
  readonly pendingReason?: string;
  /** Optional change notifications (folder watcher): the daemon polls early when this fires. */
  onChange?(listener: () => void): void;
  close(): Promise<void>;
}

/** Where rendered output files go (warehouse folder, merchant SFTP, ...). */
export interface FileDestination {
  readonly kind: string;
  /** Human description for logs and status (never contains secrets). */
  readonly describe: string;
  open(): Promise<void>;
  /**
   * Writes `data` under `name` atomically (temporary dot-name, then rename). If a file of that name
   * exists with identical bytes this is a no-op ('unchanged'); if it exists with different bytes it
   * throws a DELIVERY_CONFLICT WharfError and leaves the existing file alone.
   */
  write(name: string, data: Buffer): Promise<'written' | 'unchanged'>;
  /**
   * Like `write`, but the name may become durable only at the next `flush` (a local folder fsyncs
   * itself once for many files instead of once per file). The file is complete when it is visible.
   * Callers mark a delivery done only after `flush` returned. Absent: use `write`.
   */
  writeDeferred?(name: string, data: Buffer): Promise<'written' | 'unchanged'>;
  /**
   * How many `write`/`writeDeferred` calls may run at once, for different names (default 1: one at a
   * time). A local folder takes several: each file's fsync waits on the disk, and the file system
   * journals concurrent ones together.
   */
  readonly parallelWrites?: number;
  /** Makes every `writeDeferred` file so far durable (folder fsync). Throws like `write`. */
  flush?(): Promise<void>;
  /** Same contract as `write`, for outputs too large for memory: `produce` streams the bytes. */
  writeStream?(name: string, produce: (out: Writable) => Promise<void>): Promise<'written' | 'unchanged'>;
  close(): Promise<void>;
}
