import type { ChannelConnector, PushTarget, StockBatchResult, StockUpdate } from '../connectors/index.js';
import { takePushLease } from './lease.js';
import type { ChannelEntry } from '../config/entries.js';
import type { LoadedConfig } from '../config/load.js';
import { describeError, echo } from '../errors.js';
import type { NoticeInput, StockLevel, Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import { merchantBundles, merchantStockLevels } from '../exports/stock-levels.js';

/**
 * The stock push of one webshop channel (platform-independent; the platform's part is
 * `ChannelPush.pushStock`). One run:
 * 1. pages through the merchant's current stock levels (the ledger's `stock`, (sku, location) order;
 *    bundle levels join through `levels`), and per SKU computes the quantity for this shop: the sum
 *    over `push.stock.locations` (all when unset), minus `stockBuffer` (not below 0), capped at `maxStock`;
 * 2. keeps the SKUs whose quantity differs from the channel's baseline (`push_stock`: what was last
 *    pushed successfully), resolves their push ids (`push_targets`, by SKU, or by EAN under
 *    `matchBy: sku-then-ean` when exactly one shop item carries it);
 * 3. sends them in batches of `stockBatchSize`, up to `push.stock.concurrency` requests in flight; each
 *    batch's confirmed SKUs move the baseline as soon as its answer is in (the next request goes out
 *    first, and the next chunk is read while requests are on the wire),
 *    so a run killed half-way resumes with the SKUs not yet confirmed and loses no update (quantities
 *    are absolute: a batch sent again sets the same values). No batch is sent without the push lease.
 * SKUs without push ids are `unknown` and SKUs the shop refused are `refused`: both are kept as notices of
 * the channel (shown once in `wharf status`, replaced by each complete run), never logged per run.
 * With `dryRun` nothing is sent and nothing in the ledger changes. Throws what `pushStock` throws
 * (transport trouble: retryable) after recording the failed run.
 */
export interface StockPushOptions {
  store: Store;
  logger: Logger;
  /** Print-only: nothing is sent, the baseline and notices stay. */
  dryRun?: boolean;
  /** Forget the baseline first (every SKU is pushed again). With dryRun: compare against nothing. */
  full?: boolean;
  /**
   * The loaded config: the merchant's bundle definitions come from it (its mappings' bundle tables)
   * and from product records, and bundle SKUs get their computed stock (src/exports/stock-levels.ts).
   * The daemon and `wharf sync` always pass it; without it (and without `levels`) no bundle levels.
   */
  config?: LoadedConfig;
  /**
   * The merchant's levels in (sku, location) order, page by page (default: the ledger's reported
   * levels merged with the computed bundle levels, `merchantStockLevels`). One SKU's levels must come
   * together.
   */
  levels?: (merchant: string) => AsyncIterable<StockLevel[]>;
  onProgress?: (p: { batches: number; pushed: number; changed: number }) => void;
}

/** One SKU of a dry run or a run's change list. */
export interface StockChange {
  sku: string;
  /** Last pushed quantity, null when never pushed. */
  old: number | null;
  new: number;
  /** The shop's ids, undefined when the shop does not know the SKU (unknown). */
  ids?: PushTarget['ids'];
}

export interface StockPushResult {
  channel: string;
  /** SKUs whose shop quantity was computed. */
  skus: number;
  /** SKUs whose quantity differs from the baseline. */
  changed: number;
  pushed: number;
  batches: number;
  unknown: string[];
  refused: { sku: string; message: string }[];
  /** dryRun only: what would be sent, and the unknown SKUs with old → new. */
  changes: StockChange[];
  /** Set when the run was skipped because another process is pushing this channel's stock (the message). */
  skipped?: string;
}

/** What `wharf status` shows of the last run (stored under `stockRunKey`). */
export interface StockRunRecord {
  at: string;
  ok: boolean;
  pushed: number;
  changed: number;
  unknown: number;
  refused: number;
  error?: string;
}

export const stockRunKey = (channelKey: string): string => `push:${channelKey}:stock:last`;

/** SKUs compared against the baseline per ledger query. */
const CHUNK = 1000;
/** Unknown/refused SKUs listed one by one in status; the rest are counted in one more notice. */
const NOTICE_MAX = 50;

export async function runStockPush(entry: ChannelEntry, connector: ChannelConnector, opts: StockPushOptions): Promise<StockPushResult> {
  const { store } = opts;
  const settings = connector.push.settings.stock;
  const log = opts.logger.child({ merchant: entry.merchant, channel: entry.channel, job: 'stock-push' });
  const result: StockPushResult = { channel: entry.key, skus: 0, changed: 0, pushed: 0, batches: 0, unknown: [], refused: [], changes: [] };
  const started = new Date().toISOString();
  // One stock push per channel at a time, across processes (src/push/lease.ts); a dry run sends nothing.
  const taken = opts.dryRun ? undefined : await takePushLease(store, `push:${entry.key}:stock`);
  if (taken && 'busy' in taken) {
    log.info(taken.busy);
    return { ...result, skipped: taken.busy };
  }
  const lease = taken?.lease;
  // Up to `settings.concurrency` requests on the wire (`onWire`); each batch moves the baseline when its
  // answer is in (`inFlight`: a batch from its request until its baseline write). The next batches are
  // read from the ledger and sent while a batch's answer is recorded: the slot frees when the answer
  // arrives, the baseline write follows on the next turn of the event loop (after the next request
  // went out), so the shop's and Wharf's work overlap. Which SKUs move the baseline is unchanged: those
  // of the batch that the answer confirmed.
  const inFlight = new Set<Promise<void>>();
  const onWire = new Set<Promise<void>>();
  try {
    if (opts.full && !opts.dryRun) await store.clearPushedStock(entry.key);
    const pending: StockUpdate[] = [];
    let failure: { err: unknown } | undefined;
    const record = async (batch: StockUpdate[], answer: StockBatchResult) => {
      const byS = new Map(batch.map((u) => [u.sku, u.quantity]));
      await store.setPushedStock(entry.key, answer.done.filter((s) => byS.has(s)).map((sku) => ({ sku, quantity: byS.get(sku)! })), new Date().toISOString());
      await lease?.renew();
      result.batches++;
      result.pushed += answer.done.length;
      result.refused.push(...answer.refused);
      opts.onProgress?.({ batches: result.batches, pushed: result.pushed, changed: result.changed });
    };
    const send = (batch: StockUpdate[]) => {
      const answered = connector.push.pushStock(batch);
      // A failed request stops the sending before its slot frees (no further batch goes out).
      const wire: Promise<void> = answered.then(() => undefined, (err: unknown) => { failure ??= { err }; }).finally(() => onWire.delete(wire));
      onWire.add(wire);
      const sending: Promise<void> = answered
        .then(async (answer) => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          await record(batch, answer);
        })
        .catch((err: unknown) => { failure ??= { err }; })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    };
    const flush = async (all: boolean) => {
      while (!failure && (pending.length >= connector.push.stockBatchSize || (all && pending.length > 0))) {
        while (onWire.size >= settings.concurrency) await Promise.race(onWire);
        // Checked before every send (a write only every RENEW_AFTER_MS): no batch goes out unless this
        // process holds the lease; throws DELIVERY_CONFLICT when another took it over.
        await lease?.renew();
        if (failure) break;
        send(pending.splice(0, connector.push.stockBatchSize));
      }
      if (all || failure) await Promise.all(inFlight);
      if (failure) throw failure.err;
    };
    const levels = opts.levels?.(entry.merchant)
      ?? merchantStockLevels(store, entry.merchant, opts.config ? await merchantBundles(store, opts.config, entry.merchant, log) : undefined, CHUNK);
    for await (const chunk of skuChunks(levels, settings, CHUNK)) {
      result.skus += chunk.length;
      const skus = chunk.map((c) => c.sku);
      const baseline = opts.full && opts.dryRun ? new Map<string, number>() : await store.pushedStock(entry.key, skus);
      const changed = chunk.filter((c) => baseline.get(c.sku) !== c.quantity);
      if (!changed.length) continue;
      result.changed += changed.length;
      const targets = await resolveTargets(store, entry.key, changed, settings.matchBy);
      for (const c of changed) {
        const t = targets.get(c.sku);
        const old = baseline.get(c.sku) ?? null;
        if (!t) {
          result.unknown.push(c.sku);
          if (opts.dryRun) result.changes.push({ sku: c.sku, old, new: c.quantity });
          continue;
        }
        if (opts.dryRun) result.changes.push({ sku: c.sku, old, new: c.quantity, ids: t.ids });
        else pending.push({ sku: c.sku, ids: t.ids, quantity: c.quantity, previous: old });
      }
      if (!opts.dryRun) await flush(false);
    }
    if (!opts.dryRun) {
      await flush(true);
      await syncStockNotices(store, entry, result, log);
      await store.setCursor(stockRunKey(entry.key), JSON.stringify({ at: started, ok: true, pushed: result.pushed, changed: result.changed, unknown: result.unknown.length, refused: result.refused.length } satisfies StockRunRecord));
      log.info({ pushed: result.pushed, changed: result.changed, batches: result.batches, unknown: result.unknown.length, refused: result.refused.length }, `stock push done: ${result.pushed} of ${result.changed} changed SKU(s) pushed in ${result.batches} batch(es)`);
    }
    return result;
  } catch (err) {
    await Promise.all(inFlight); // batches still in flight record what the shop confirmed first
    if (!opts.dryRun) {
      await store.setCursor(stockRunKey(entry.key), JSON.stringify({ at: started, ok: false, pushed: result.pushed, changed: result.changed, unknown: result.unknown.length, refused: result.refused.length, error: describeError(err) } satisfies StockRunRecord)).catch(() => undefined);
    }
    throw err;
  } finally {
    await lease?.release();
  }
}

/** The last stock push run of a channel, if any. */
export async function lastStockRun(store: Store, channelKey: string): Promise<StockRunRecord | undefined> {
  const raw = await store.getCursor(stockRunKey(channelKey));
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as StockRunRecord;
  } catch {
    return undefined;
  }
}


interface SkuQuantity {
  sku: string;
  quantity: number;
  ean: string | null;
}

type StockSettings = ChannelConnector['push']['settings']['stock'];

/** The shop's quantity of one SKU from its levels; undefined when none of its levels is at a chosen location. */
export function shopQuantity(levels: readonly Pick<StockLevel, 'location' | 'quantity'>[], s: Pick<StockSettings, 'locations' | 'stockBuffer' | 'maxStock'>): number | undefined {
  const chosen = s.locations ? levels.filter((l) => s.locations!.includes(l.location)) : levels;
  if (!chosen.length) return undefined;
  let q = Math.max(0, chosen.reduce((n, l) => n + l.quantity, 0) - s.stockBuffer);
  if (s.maxStock !== undefined) q = Math.min(q, s.maxStock);
  return q;
}

/** Groups (sku, location)-ordered levels by SKU (a SKU's levels may span pages) into chunks of SKUs. */
async function* skuChunks(pages: AsyncIterable<StockLevel[]>, s: StockSettings, size: number): AsyncGenerator<SkuQuantity[]> {
  let chunk: SkuQuantity[] = [];
  let group: StockLevel[] = [];
  const close = () => {
    if (!group.length) return;
    const q = shopQuantity(group, s);
    if (q !== undefined) chunk.push({ sku: group[0]!.sku, quantity: q, ean: group.find((l) => l.ean)?.ean ?? null });
    group = [];
  };
  for await (const page of pages) {
    for (const l of page) {
      if (group.length && group[0]!.sku !== l.sku) close();
      group.push(l);
    }
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  close();
  if (chunk.length) yield chunk;
}

/** Push ids by SKU; under `sku-then-ean` a SKU the shop lacks takes the one shop item with its EAN (two or more: none, never a guess). */
async function resolveTargets(store: Store, channelKey: string, changed: SkuQuantity[], matchBy: StockSettings['matchBy']): Promise<Map<string, { ids: PushTarget['ids'] }>> {
  const found = await store.pushTargets(channelKey, changed.map((c) => c.sku));
  const out = new Map<string, { ids: PushTarget['ids'] }>();
  for (const [sku, t] of found) out.set(sku, { ids: t.ids });
  if (matchBy !== 'sku-then-ean') return out;
  const missing = changed.filter((c) => !out.has(c.sku) && c.ean);
  if (!missing.length) return out;
  const byEan = new Map<string, PushTarget[]>();
  for (const t of await store.pushTargetsByEan(channelKey, [...new Set(missing.map((m) => m.ean!))])) byEan.set(t.ean!, [...(byEan.get(t.ean!) ?? []), t]);
  for (const m of missing) {
    const hits = byEan.get(m.ean!) ?? [];
    if (hits.length === 1) out.set(m.sku, { ids: hits[0]!.ids });
  }
  return out;
}

/** Replaces the channel's unknown-SKU and refused notices by this run's; logs only the new ones. */
async function syncStockNotices(store: Store, entry: ChannelEntry, r: StockPushResult, log: Logger): Promise<void> {
  const notices: NoticeInput[] = [];
  const list = (kind: 'push-unknown-sku' | 'push-refused', items: { sku: string; message: string }[], what: string) => {
    for (const i of items.slice(0, NOTICE_MAX)) notices.push({ key: `${kind}:${i.sku}`, kind, file: i.sku, message: i.message });
    if (items.length > NOTICE_MAX) notices.push({ key: `${kind}:more`, kind, file: `${items.length - NOTICE_MAX} more`, message: `${items.length - NOTICE_MAX} more ${what}` });
  };
  list('push-unknown-sku', r.unknown.map((sku) => ({ sku, message: `SKU ${echo(sku)} is not in the shop's catalogue (as of the last product pull): its stock is not pushed; add it to the shop or check the SKU` })), 'SKUs unknown to the shop');
  list('push-refused', r.refused.map((x) => ({ sku: x.sku, message: `the shop refused the stock of SKU ${echo(x.sku)}: ${x.message}` })), 'SKUs refused by the shop');
  const added = await store.syncNotices(entry.merchant, entry.channel, ['push-unknown-sku', 'push-refused'], notices);
  for (const n of added) log.warn({ sku: n.file }, n.message);
}
