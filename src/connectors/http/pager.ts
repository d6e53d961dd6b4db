import type { OrderPage } from '../types.js';

/**
 * The async-iterator pager: asks for one page at a time and yields it before asking for the next, so
 * memory holds one page whatever the number of pages. `fetch` returns the page's records and the
 * state of the next request (undefined when this was the last page).
 */
export async function* paginate<S>(first: S, fetch: (state: S) => Promise<{ records: unknown[]; next: S | undefined }>): AsyncGenerator<unknown[]> {
  let state: S | undefined = first;
  while (state !== undefined) {
    const page: { records: unknown[]; next: S | undefined } = await fetch(state);
    if (page.records.length > 0) yield page.records;
    state = page.next;
  }
}

/** One query of a connector's order pull (open orders, cancelled orders). */
export interface OrderStream {
  name: string;
  /**
   * True when the platform returns the stream sorted by modification time, oldest first; then every
   * page may advance the cursor. Unsorted streams advance it only when they are complete.
   */
  sorted: boolean;
  /** Skipped on the very first pull (no cursor): cancellations of orders never sent are of no use. */
  onlyIncremental?: boolean;
  pages(since: Date | undefined): AsyncIterable<unknown[]>;
  /** Modification time of one record (epoch ms), or undefined when it has none. */
  modifiedAt(record: unknown): number | undefined;
}

export interface CursorSettings {
  /** Seconds to step back from the cursor. */
  overlapSeconds: number;
  /** ISO date: where the first pull starts when there is no cursor (none: no lower bound). */
  startDate?: string;
}

/** `cursor − overlap`, or the configured start date on the first pull. */
export function sinceOf(cursor: string | undefined, s: CursorSettings): Date | undefined {
  if (cursor) {
    const t = Date.parse(cursor);
    if (Number.isNaN(t)) throw new Error(`cursor "${cursor}" is not an ISO date-time`);
    return new Date(t - s.overlapSeconds * 1000);
  }
  if (s.startDate) return new Date(Date.parse(s.startDate));
  return undefined;
}

/**
 * Runs the streams one after the other and attaches a safe cursor to every page.
 *
 * The cursor promises "nothing modified before it is still to come", for all streams together. While
 * an earlier stream runs, the later ones have not started, so the cursor stays where it was; in the
 * last stream a sorted page may move it to the newest time seen in that stream. When every stream is
 * done the cursor becomes the newest time seen anywhere (an extra empty page when the last real page
 * did not carry it yet).
 */
export async function* pullWithCursor(streams: OrderStream[], cursor: string | undefined, settings: CursorSettings): AsyncGenerator<OrderPage> {
  const start = cursor && !Number.isNaN(Date.parse(cursor)) ? Date.parse(cursor) : undefined;
  const since = sinceOf(cursor, settings);
  const active = streams.filter((s) => !(s.onlyIncremental && !cursor));
  const iso = (ms: number | undefined) => (ms === undefined ? (cursor ?? '') : new Date(ms).toISOString());
  let newest = start;
  let lastYielded = iso(start);
  for (let i = 0; i < active.length; i++) {
    const stream = active[i]!;
    const isLast = i === active.length - 1;
    let streamNewest = start;
    for await (const records of stream.pages(since)) {
      for (const r of records) {
        const t = stream.modifiedAt(r);
        if (t === undefined || Number.isNaN(t)) continue;
        if (newest === undefined || t > newest) newest = t;
        if (streamNewest === undefined || t > streamNewest) streamNewest = t;
      }
      const pageCursor = isLast && stream.sorted ? iso(streamNewest) : iso(start);
      lastYielded = pageCursor;
      yield { records, cursor: pageCursor };
    }
  }
  const final = iso(newest);
  if (final !== lastYielded) yield { records: [], cursor: final };
}
