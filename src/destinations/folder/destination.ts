import type { Writable } from 'node:stream';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertSafeName } from '../../transports/names.js';
import type { FileDestination } from '../../pipeline/ports.js';
import { deliverFile, deliverStream, removeStaleTemps, syncDir } from '../../transports/folder/atomic.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../log.js';

/**
 * A local folder written atomically, never overwriting a different file (see atomic.ts). The first
 * write after construction or `open()` first removes Wharf's own stale temporary files from the
 * folder (removeStaleTemps: left by a killed process); that clean-up never fails a write.
 */
export class FolderDestination implements FileDestination {
  readonly kind = 'folder';
  readonly describe: string;
  /** Distinct names are independent files (temporary name, fsync, rename): several may be written at once. */
  readonly parallelWrites = 8;
  private swept: Promise<void> | undefined;
  /** A writeDeferred rename since the last flush. */
  private unsynced = false;

  constructor(private readonly dir: string, private readonly logger?: Logger) {
    this.describe = `folder ${dir}`;
  }

  async open(): Promise<void> {
    this.swept = undefined;
    await fs.mkdir(this.dir, { recursive: true });
  }

  async write(name: string, data: Buffer): Promise<'written' | 'unchanged'> {
    assertSafeName(name, this.dir);
    await this.sweep();
    return deliverFile(path.join(this.dir, name), data);
  }

  async writeDeferred(name: string, data: Buffer): Promise<'written' | 'unchanged'> {
    assertSafeName(name, this.dir);
    await this.sweep();
    const outcome = await deliverFile(path.join(this.dir, name), data, { syncFolder: false });
    if (outcome === 'written') this.unsynced = true;
    return outcome;
  }

  async flush(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await syncDir(this.dir);
    } catch (err) {
      this.unsynced = true;
      throw err;
    }
  }

  async writeStream(name: string, produce: (out: Writable) => Promise<void>): Promise<'written' | 'unchanged'> {
    assertSafeName(name, this.dir);
    await this.sweep();
    return deliverStream(path.join(this.dir, name), produce);
  }

  private sweep(): Promise<void> {
    this.swept ??= removeStaleTemps(this.dir).then(
      (names) => { for (const n of names) this.logger?.info({ file: n }, `${this.describe}: removed ${n}, a temporary file a stopped Wharf process left behind`); },
      (err: unknown) => { this.logger?.warn({ err: describeError(err) }, `${this.describe}: could not look for stale temporary files: ${describeError(err)}`); },
    );
    return this.swept;
  }

  async close(): Promise<void> {}
}
