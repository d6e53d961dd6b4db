import type { Writable } from 'node:stream';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertSafeName } from '../../transports/names.js';
import type { FileDestination } from '../../pipeline/ports.js';
import { deliverFile, deliverStream } from '../../transports/folder/atomic.js';

/** A local folder written atomically, never overwriting a different file (see atomic.ts). */
export class FolderDestination implements FileDestination {
  readonly kind = 'folder';
  readonly describe: string;

  constructor(private readonly dir: string) {
    this.describe = `folder ${dir}`;
  }

  async open(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  write(name: string, data: Buffer): Promise<'written' | 'unchanged'> {
    assertSafeName(name, this.dir);
    return deliverFile(path.join(this.dir, name), data);
  }

  writeStream(name: string, produce: (out: Writable) => Promise<void>): Promise<'written' | 'unchanged'> {
    assertSafeName(name, this.dir);
    return deliverStream(path.join(this.dir, name), produce);
  }

  async close(): Promise<void> {}
}
