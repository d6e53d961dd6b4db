import { describe, expect, it } from 'vitest';
import { paginate, pullWithCursor, stablePasses, type OrderStream } from '../../src/connectors/http/pager.js';
import { collect } from '../helpers/webshops/server.js';

/**
 * The pager's guarantees for lists paged by page number whose members change meanwhile: a list in
 * memory, 3 records a page, and a hook that changes it after a given page request.
 */
interface Rec {
  id: string;
  t: number;
}

function pagedList(items: Rec[], size: number, afterRequest: (n: number) => void) {
  let requests = 0;
  return () =>
    paginate(1, async (page) => {
      const records = items.slice((page - 1) * size, page * size);
      afterRequest(++requests);
      return { records, next: records.length === size ? page + 1 : undefined };
    });
}

const settings = (clock: { now: number }, onUnsettled?: (n: number) => void) => ({
  pageSize: 3,
  now: () => clock.now++,
  idOf: (r: unknown) => (r as Rec).id,
  modifiedAt: (r: unknown) => (r as Rec).t,
  onUnsettled,
});

const recs = (n: number): Rec[] => Array.from({ length: n }, (_, i) => ({ id: `o${i + 1}`, t: 1000 + i }));

describe('stablePasses', () => {
  it('reads again until a pass confirms the one before it; yields every order once; the ceiling is the confirmed pass start', async () => {
    const items = recs(8);
    const clock = { now: 5000 };
    const passes = stablePasses(
      pagedList(items, 3, (n) => {
        if (n === 1) items.splice(0, 1); // o1 leaves after page 1 of pass 1: o4 moves onto page 1 and is skipped
      }),
      settings(clock),
    );
    const got = (await collect(passes.pages())).flat().map((r) => (r as Rec).id);
    expect(got.sort()).toEqual(['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8']);
    // Pass 1 (started 5000) lost o1, so pass 2 (5001) is confirmed by pass 3 (5002).
    expect(passes.ceiling()).toBe(5001);
  });

  it('an order that moves to a later page (sorted by change time) makes the pass unconfirmable', async () => {
    const items = recs(8);
    const clock = { now: 6000 };
    const passes = stablePasses(
      pagedList(items, 3, (n) => {
        if (n === 1) items.push({ ...items.splice(0, 1)[0]!, t: 3000 }); // o1 changed: to the end; o4 shifts onto page 1
      }),
      settings(clock),
    );
    const got = (await collect(passes.pages())).flat().map((r) => (r as Rec).id);
    expect([...new Set(got)].sort()).toEqual(['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8']);
    expect(got.filter((id) => id === 'o1')).toHaveLength(2); // both versions passed on, each once
    // Pass 1 (6000) read o1 twice, so only pass 2 (6001), confirmed by pass 3, sets the ceiling.
    expect(passes.ceiling()).toBe(6001);
  });

  it('a pass that ended within one short page needs no second look', async () => {
    let requests = 0;
    const passes = stablePasses(pagedList(recs(2), 3, () => requests++), settings({ now: 7000 }));
    expect((await collect(passes.pages())).flat()).toHaveLength(2);
    expect(requests).toBe(1);
    expect(passes.ceiling()).toBe(7000);
  });

  it('a list that changes in every pass: all orders passed on, the cursor stays, a warning', async () => {
    const items = recs(9);
    let next = 100;
    const warned: number[] = [];
    const passes = stablePasses(
      pagedList(items, 3, (n) => {
        if (n % 3 === 1) {
          items.shift(); // one leaves and a new one joins in every pass
          items.push({ id: `n${next}`, t: 2000 + next++ });
        }
      }),
      settings({ now: 0 }, (n) => warned.push(n)),
    );
    const stream: OrderStream = { name: 'busy', sorted: false, modifiedAt: (r) => (r as Rec).t, pages: () => passes.pages(), ceiling: () => passes.ceiling() };
    const pages = await collect(pullWithCursor([stream], '2026-01-01T00:00:00.000Z', { overlapSeconds: 0 }));
    expect(warned).toEqual([4]);
    expect(passes.ceiling()).toBe(-Infinity);
    expect(new Set(pages.flatMap((p) => p.records.map((r) => (r as Rec).id))).size).toBe(pages.flatMap((p) => p.records).length); // none twice
    expect(pages.every((p) => p.cursor === '2026-01-01T00:00:00.000Z')).toBe(true);
  });
});

describe('pullWithCursor', () => {
  it('never moves the cursor past a stream ceiling, nor behind the stored cursor', async () => {
    const at = (s: number) => Date.parse('2026-06-01T00:00:00Z') + s * 1000;
    const stream = (ceiling: number | undefined): OrderStream => ({
      name: 's',
      sorted: false,
      modifiedAt: (r) => (r as Rec).t,
      pages: async function* () {
        yield [{ id: 'a', t: at(10) }, { id: 'b', t: at(50) }];
      },
      ceiling: () => ceiling,
    });
    const last = async (ceiling: number | undefined, cursor?: string) => (await collect(pullWithCursor([stream(ceiling)], cursor, { overlapSeconds: 0 }))).at(-1)!.cursor;
    expect(await last(undefined)).toBe(new Date(at(50)).toISOString());
    expect(await last(at(30))).toBe(new Date(at(30)).toISOString());
    expect(await last(at(30), new Date(at(40)).toISOString())).toBe(new Date(at(40)).toISOString());
    expect(await last(-Infinity)).toBe('');
  });
});
