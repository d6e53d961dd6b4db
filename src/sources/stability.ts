/**
 * "Never read a file that is still being written" (DESIGN rule 2): a file is ready when its size and
 * mtime were the same at two consecutive looks and it was first seen at least `minAgeMs` ago
 * (counted from first sight, not from its mtime, which a copy may preserve from long ago).
 */
export class StabilityTracker {
  private readonly seen = new Map<string, { size: number; mtimeMs: number; ino: number; firstSeen: number; looks: number }>();

  constructor(private readonly minAgeMs: number) {}

  get size(): number {
    return this.seen.size;
  }

  /**
   * Records one look; true when the file is complete now. `ino` (local files) makes a file replaced
   * under the same name by one of the same size and mtime count as new.
   */
  observe(key: string, size: number, mtimeMs: number, now: number, ino = 0): boolean {
    const prev = this.seen.get(key);
    if (!prev || prev.size !== size || prev.mtimeMs !== mtimeMs || prev.ino !== ino) {
      // New or changed: the clock starts again from this sighting.
      this.seen.set(key, { size, mtimeMs, ino, firstSeen: now, looks: 1 });
      return false;
    }
    prev.looks++;
    return now - prev.firstSeen >= this.minAgeMs;
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  /** Drops files that were not seen at this look (gone or taken). */
  retainOnly(keys: Set<string>): void {
    for (const k of this.seen.keys()) if (!keys.has(k)) this.seen.delete(k);
  }

  clear(): void {
    this.seen.clear();
  }
}

/**
 * What a file seen but not yet read waits for, in words that follow "waiting for": its done-file when
 * the channel has `doneFiles`, else to stay unchanged for `minAgeMs` across two looks.
 */
export function waitReason(doneSuffix: string | undefined, minAgeMs: number): string {
  return doneSuffix ? `their done-file (<name>${doneSuffix})` : `minAge: to stay unchanged for ${Math.round(minAgeMs / 100) / 10} s across two looks`;
}
