import type { Writable } from 'node:stream';
import type { Readable } from 'node:stream';

/**
 * The contract between a transport (folder, SFTP, ...) and the pipeline. The pipeline knows no
 * transport: it sees ready files and settles each one. Side effects on the source (archive, delete,
 * move to quarantine) happen only in `settle`, which the pipeline calls after the ledger commit, so a
 * crash before that simply means the file is read again (and the content hash makes it a no-op).
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
  /**
   * Checks, after reading and just before the ledger commit, that the file is still the one that was
   * offered (size, mtime and, for local files, inode). Throws a retryable FILE_CHANGED error when it is
   * not: the intake then rolls back and the file is offered again once it is stable.
   */
  verify?(): Promise<void>;
}

export type Settlement =
  | { outcome: 'imported'; sha256?: string }
  | { outcome: 'duplicate'; sha256?: string }
  | { outcome: 'quarantined'; reportJson: string };

export interface SettleResult {
  /** Where the source file ended up (archive path, quarantine path), if it moved. */
  movedTo?: string;
  /** Where the error report was written, for quarantined files. */
  reportPath?: string;
}

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
  settle(file: ReadyFile, settlement: Settlement): Promise<SettleResult>;
  /** Gives a file back untouched (transport or ledger failure): a later poll offers it again. */
  release(file: ReadyFile): Promise<void>;
  /** Files seen but not yet complete: `wharf once` keeps looking while there are any. */
  readonly pending: number;
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
  /** Same contract as `write`, for outputs too large for memory: `produce` streams the bytes. */
  writeStream?(name: string, produce: (out: Writable) => Promise<void>): Promise<'written' | 'unchanged'>;
  close(): Promise<void>;
}
