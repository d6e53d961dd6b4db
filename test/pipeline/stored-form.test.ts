/**
 * storedForm (one JSON.stringify per routed record) must give the bytes JSON.stringify gives and the
 * hash contentHash gives: the ledger compares it with hashes stored by earlier versions, so a changed
 * hash would turn every re-sent order into a "changed" duplicate and every product into an update.
 */
import { describe, expect, it } from 'vitest';
import { contentHash, storedForm } from '../../src/pipeline/routing.js';
import { toCanonical } from '../../src/pipeline/records.js';

/** A small seeded generator, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function value(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 2 ? 5 : 8));
  switch (pick) {
    case 0: return Math.round(r() * 1e6) / 100;
    case 1: return `tekst ${Math.floor(r() * 1000)} "quoted" \\ é ${'}'.repeat(Math.floor(r() * 2))}`;
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return undefined;
    case 5: return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth + 1));
    default: return object(r, depth + 1);
  }
}

function object(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) o[r() < 0.1 ? String(i) : `k${Math.floor(r() * 10)}`] = value(r, depth);
  // Sometimes a nested object that ends like a canonical record's provenance.
  if (r() < 0.2) o.source = { type: 'woocommerce', record: 1 };
  return o;
}

describe('storedForm', () => {
  it('gives JSON.stringify and contentHash of canonical orders, products and stock levels', () => {
    const p = { merchant: 'acme', channel: 'shop', sourceType: 'woocommerce', fileName: 'orders-p1.json', recordNo: 7, receivedAt: '2026-11-30T06:00:00.000Z' };
    const r = rng(42);
    for (let i = 0; i < 300; i++) {
      const fields = object(r, 0);
      fields.externalId = `#${i}`;
      if (i % 3 === 0) fields.status = 'cancelled';
      for (const kind of ['order', 'product', 'stock', 'shipment'] as const) {
        const body = toCanonical(kind, fields, { ...p, recordNo: i });
        const got = storedForm(body);
        expect(got.json).toBe(JSON.stringify(body));
        expect(got.hash).toBe(contentHash(body));
      }
    }
  });

  it('gives contentHash for records whose source is not the last key, is undefined or is the only key', () => {
    const r = rng(7);
    const bodies: Record<string, unknown>[] = [
      { source: { a: 1 } },
      { source: undefined, a: 1 },
      { a: 1, source: undefined },
      { source: { a: 1 }, b: { source: { a: 1 } } },
      { a: undefined, source: { x: 'y' } },
      { 1: 'one', a: 2, source: { n: 1 } },
      {},
    ];
    for (let i = 0; i < 300; i++) bodies.push(object(r, 0));
    for (const body of bodies) {
      const got = storedForm(body);
      expect(got.json).toBe(JSON.stringify(body));
      expect(got.hash).toBe(contentHash(body));
    }
  });
});
