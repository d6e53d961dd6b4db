import type { Logger } from '../../log.js';
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
  /**
   * Read once the stream is done: the final cursor never passes this time (epoch ms), because an
   * order modified from then on may not have been seen. -Infinity keeps the cursor where it was;
   * undefined (or no function) sets no limit, for keyset streams that see every change that
   * happens while they page.
   */
  ceiling?(): number | undefined;
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
 * did not carry it yet), but never later than a stream's ceiling: a stream's own `ceiling()`, or for
 * a sorted stream the moment (`now`) it asked for its last page. A sorted stream sees every change
 * up to its last request and none after, so an order that became ready while a later stream (the
 * cancellations) ran is older than the cursor would be without that bound.
 */
export async function* pullWithCursor(streams: OrderStream[], cursor: string | undefined, settings: CursorSettings, now: () => number = Date.now): AsyncGenerator<OrderPage> {
  const start = cursor && !Number.isNaN(Date.parse(cursor)) ? Date.parse(cursor) : undefined;
  const since = sinceOf(cursor, settings);
  const active = streams.filter((s) => !(s.onlyIncremental && !cursor));
  const iso = (ms: number | undefined) => (ms === undefined ? (cursor ?? '') : new Date(ms).toISOString());
  let newest = start;
  let limit = Infinity;
  // Never behind the stored cursor, never past a stream's ceiling.
  const bounded = (ms: number | undefined) => {
    const capped = ms === undefined ? undefined : Math.min(ms, limit);
    if (capped === undefined || capped === -Infinity) return iso(start);
    return iso(start !== undefined && capped < start ? start : capped);
  };
  let lastYielded = iso(start);
  for (let i = 0; i < active.length; i++) {
    const stream = active[i]!;
    const isLast = i === active.length - 1;
    let streamNewest = start;
    const pages = stream.pages(since)[Symbol.asyncIterator]();
    let askedAt = now();
    let lastAskedAt = askedAt;
    try {
      for (let next = await pages.next(); !next.done; askedAt = now(), next = await pages.next()) {
        lastAskedAt = askedAt;
        const records = next.value;
        for (const r of records) {
          const t = stream.modifiedAt(r);
          if (t === undefined || Number.isNaN(t)) continue;
          if (newest === undefined || t > newest) newest = t;
          if (streamNewest === undefined || t > streamNewest) streamNewest = t;
        }
        const pageCursor = isLast && stream.sorted ? bounded(streamNewest) : iso(start);
        lastYielded = pageCursor;
        yield { records, cursor: pageCursor };
      }
    } finally {
      await pages.return?.();
    }
    const ceiling = stream.ceiling ? stream.ceiling() : stream.sorted ? lastAskedAt : undefined;
    if (ceiling !== undefined) limit = Math.min(limit, ceiling);
  }
  const final = bounded(newest);
  if (final !== lastYielded) yield { records: [], cursor: final };
}

export interface PassSettings {
  /** Records in a full page: a pass that ended within its first page cannot have skipped one. */
  pageSize: number;
  /** Most passes in one pull; when even the last one changed, the cursor stays where it was. */
  maxPasses?: number;
  /** The clock the records' modification times are compared with (epoch ms). */
  now: () => number;
  /** The platform's order id of a record. */
  idOf(record: unknown): string;
  modifiedAt(record: unknown): number | undefined;
  /** Told when even the last pass changed (the cursor then stays where it was), to log it. */
  onUnsettled?(passes: number): void;
}

/** How many passes one pull makes at most (each pass after the first costs only list requests). */
export const defaultMaxPasses = 4;

/**
 * Page-number paging that cannot skip an order: for lists whose order the API does not let us fix
 * (bol's open orders, Lightspeed and RetailCRM lists), where an order leaving the list while we page
 * (shipped, moved to another status) shifts every later order one place forward and the one at
 * the next page boundary is never served.
 *
 * Such a skip leaves a trace: the order that left was on a page already read, so it is missing when
 * the list is read again; an order that moved from a page already read to a later one (the list is
 * sorted by something that changed) is read twice in the same pass. Passes are repeated until a pass
 * that read no order twice has all its ids in the next pass; that pass lost no order while it paged,
 * so it saw every order that was in the list for its whole duration, and orders that joined later
 * were modified after it started: that start is the stream's ceiling. (It assumes that an order which
 * left a list does not come back to it within seconds.) A pass that ended within its first, short
 * page (one request) needs no second look.
 *
 * `list()` runs one pass (page by page); the pages yielded hold only records not yielded before in
 * this pull (by id and modification time), so nothing is sent twice and an order that changed since
 * it was read is read again. The caller fetches details only for these.
 */
export function stablePasses(list: () => AsyncIterable<unknown[]>, s: PassSettings): { pages: () => AsyncGenerator<unknown[]>; ceiling: () => number | undefined } {
  let ceiling: number | undefined = -Infinity;
  async function* pages(): AsyncGenerator<unknown[]> {
    ceiling = -Infinity;
    const sent = new Set<string>();
    let previous: { ids: Set<string>; started: number; moved: boolean } | undefined;
    for (let pass = 1; pass <= (s.maxPasses ?? defaultMaxPasses); pass++) {
      const started = s.now();
      const ids = new Set<string>();
      let moved = false;
      let requests = 0;
      let lastLength = 0;
      for await (const page of list()) {
        requests++;
        lastLength = page.length;
        const fresh: unknown[] = [];
        for (const r of page) {
          const id = s.idOf(r);
          if (ids.has(id)) moved = true;
          ids.add(id);
          const key = `${id}@${s.modifiedAt(r) ?? ''}`;
          if (sent.has(key)) continue;
          sent.add(key);
          fresh.push(r);
        }
        if (fresh.length) yield fresh;
      }
      if (requests <= 1 && lastLength < s.pageSize) {
        ceiling = started;
        return;
      }
      if (previous && !previous.moved && [...previous.ids].every((id) => ids.has(id))) {
        ceiling = previous.started;
        return;
      }
      previous = { ids, started, moved };
    }
    s.onUnsettled?.(s.maxPasses ?? defaultMaxPasses);
  }
  return { pages, ceiling: () => ceiling };
}

/** The warning for `onUnsettled`: a busy list kept changing; nothing is lost, the next pull looks again. */
export function warnUnsettled(logger: Logger, what: string): (passes: number) => void {
  return (passes) => logger.warn({ passes }, `${what}: the list changed during each of ${passes} passes; every order read was passed on, and the cursor stays where it was so that the next pull reads the same window again`);
}
