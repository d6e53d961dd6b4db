import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of a file, streamed (memory does not grow with the file). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 (hex) of text (UTF-8) or bytes held in memory. */
export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
