import type { LoadedConfig } from '../config/load.js';
import type { ChannelStatus, ExportRun, LedgerSummary, OutboxRow, Store } from '../ledger/store.js';
import { shipmentExportDestination, shipmentPushDestination } from '../pipeline/routing.js';
import { exportRuns, latestExportRun } from '../schedule/catch-up.js';
import { nextRuns, scheduleGapMs } from '../schedule/cron.js';
import { readinessOf } from '../config/http.js';
import { isPlatform as isApiChannelType, pushSettingsOf } from '../connectors/platforms.js';
import { commonDefaults } from '../connectors/http/config.js';
import { sftpConfigDefaults } from '../transports/sftp/config.js';
import type { CommonChannelConfig } from '../config/types.js';
import { lastStockRun, type StockRunRecord } from '../push/stock.js';

/**
 * What `wharf status` and the web console's overview show, gathered from the config and the ledger
 * (no output here: src/cli/status.ts prints it, src/http/console renders it).
 */

/** One configured export as `wharf status` shows it. */
export interface ExportStatus {
  /** `<merchant>/<kind>`. */
  export: string;
  merchant: string;
  kind: 'stock' | 'shipments';
  schedule: string;
  timezone: string;
  /** The latest run (by scheduled time): claimed (in progress, or interrupted), done, or failed with its error. */
  lastRun: ExportRun | null;
  /** The next scheduled time after now (UTC ISO 8601), one per wall-clock slot in its zone. */
  nextRunAt: string | null;
  /** Shipments: rows waiting for the next run. */
  pendingShipments?: number;
}

/**
 * The export part of `wharf status`: each configured export with its last run from the ledger, its
 * next scheduled time (from `now`, in the export's zone) and, for shipments, the merchant's pending rows.
 */
export async function exportStatuses(cfg: LoadedConfig, store: Store, now = new Date()): Promise<ExportStatus[]> {
  const last = new Map((await store.lastExportRuns(cfg.exports.map((e) => e.key))).map((r) => [r.export, r]));
  const out: ExportStatus[] = [];
  for (const e of cfg.exports) {
    const next = exportRuns(e.schedule, e.timezone, now, 1)[0];
    out.push({
      export: e.key, merchant: e.merchant, kind: e.kind, schedule: e.schedule, timezone: e.timezone,
      lastRun: last.get(e.key) ?? null, nextRunAt: next ? next.toISOString() : null,
      ...(e.kind === 'shipments' ? { pendingShipments: await store.pendingCount(shipmentExportDestination(e.merchant)) } : {}),
    });
  }
  return out;
}

/** One webshop channel's push as `wharf status` shows it (only channels with a push switched on). */
export interface PushStatus {
  channel: string;
  stock?: {
    schedule: string; nextRunAt: string | null; lastRun: StockRunRecord | null; unknownSkus: number; refusedSkus: number;
    /** The unknown and refused SKUs with their message (the shop's, for refused ones). */
    skus: { state: 'unknown' | 'refused'; sku: string; message: string }[];
  };
  shipments?: {
    schedule: string;
    nextRunAt: string | null;
    pending: number;
    /** Rows failed for good (the shop refused): pushed again only after `wharf retry d<id>`. */
    failed: number;
    /** Rows that failed retryably and are pending their next attempt. */
    retrying: number;
    /** The failed and retrying rows (at most the ledger summary's 100), with the shop's message. */
    problems: ShipmentPushProblem[];
  };
}

/** One shipment push that did not go through yet, as `wharf status` lists it under its channel. */
export interface ShipmentPushProblem {
  /** Outbox row id: `wharf retry d<id>` puts a failed one back. */
  id: number;
  shipmentId: string;
  orderRef: string;
  state: 'failed' | 'retrying';
  attempts: number;
  /** The platform's message of the last attempt. */
  message: string;
}

function pushProblem(row: OutboxRow): ShipmentPushProblem {
  const b = row.body as { shipment?: { shipmentId?: unknown }; orderRef?: unknown };
  return {
    id: row.id,
    shipmentId: typeof b.shipment?.shipmentId === 'string' ? b.shipment.shipmentId : row.recordId,
    orderRef: typeof b.orderRef === 'string' ? b.orderRef : '?',
    state: row.status === 'failed' ? 'failed' : 'retrying',
    attempts: row.attempts,
    message: row.lastError ?? '',
  };
}

/** The push part of `wharf status`: per webshop channel with `push.*.enabled`, last/next run, pending, failed, unknown SKUs. */
export async function pushStatuses(cfg: LoadedConfig, store: Store, summary: LedgerSummary, now = new Date()): Promise<PushStatus[]> {
  const out: PushStatus[] = [];
  for (const e of cfg.channels) {
    if (!isApiChannelType(e.config.type)) continue;
    const s = pushSettingsOf(e.config as CommonChannelConfig);
    if (!s.stock.enabled && !s.shipments.enabled) continue;
    const mine = (kind: string) => summary.notices.filter((n) => `${n.merchant}/${n.channel}` === e.key && n.kind === kind).length;
    const next = (expr: string) => nextRuns(expr, cfg.timezone, now, 1)[0]?.toISOString() ?? null;
    const p: PushStatus = { channel: e.key };
    if (s.stock.enabled) p.stock = { schedule: s.schedules.stock, nextRunAt: next(s.schedules.stock), lastRun: (await lastStockRun(store, e.key)) ?? null, unknownSkus: mine('push-unknown-sku'), refusedSkus: mine('push-refused'),
      skus: summary.notices.filter((n) => `${n.merchant}/${n.channel}` === e.key && n.kind.startsWith('push-')).map((n) => ({ state: n.kind === 'push-refused' ? 'refused' : 'unknown', sku: n.file, message: n.message })) };
    if (s.shipments.enabled) {
      const dest = shipmentPushDestination(e.key);
      const problems = summary.failedDeliveries.filter((d) => d.destination === dest).map(pushProblem);
      p.shipments = {
        schedule: s.schedules.shipments, nextRunAt: next(s.schedules.shipments), pending: await store.pendingCount(dest),
        failed: problems.filter((x) => x.state === 'failed').length, retrying: problems.filter((x) => x.state === 'retrying').length, problems,
      };
    }
    out.push(p);
  }
  return out;
}


/** A configured channel (merchant channel or warehouse report source) with its ledger counts. */
export type ChannelStatusOf = ChannelStatus & { type: string };

/**
 * Every configured channel — merchant channels, then the warehouse report sources (`@warehouse/<name>`)
 * — with its counts from `summary`, zeros for a channel not polled yet.
 */
export function channelStatuses(cfg: LoadedConfig, summary: LedgerSummary): ChannelStatusOf[] {
  const byKey = new Map(summary.channels.map((c) => [`${c.merchant}/${c.channel}`, c]));
  return [...cfg.channels, ...cfg.reportSources].map((e) => ({
    type: e.config.type,
    ...(byKey.get(e.key) ?? {
      merchant: e.merchant, channel: e.channel, lastPollAt: null, lastOkAt: null, lastError: null, lastErrorAt: null, inFlight: 0,
      files: { imported: 0, partial: 0, duplicate: 0, quarantined: 0, retried: 0, dismissed: 0 }, records: 0, duplicateRecords: 0, notices: 0,
    }),
  }));
}

/** How often a channel is looked at: a polled file channel's interval, or a webshop channel's orders schedule. */
export type Cadence = { kind: 'poll'; intervalMs: number } | { kind: 'cron'; schedule: string };

/** The cadence of a configured channel (defaults as the daemon applies them, src/daemon/channels.ts). */
export function cadenceOf(type: string, config: unknown): Cadence {
  const c = config as { pollInterval?: number; schedules?: { orders?: string } };
  if (isApiChannelType(type)) return { kind: 'cron', schedule: c.schedules?.orders ?? commonDefaults.schedules.orders };
  if (type === 'sftp') return { kind: 'poll', intervalMs: Math.round((c.pollInterval ?? sftpConfigDefaults.pollInterval) * 1000) };
  return { kind: 'poll', intervalMs: (c.pollInterval ?? 10) * 1000 };
}


/** One channel as the console's overview shows it. */
export interface ChannelOverview extends ChannelStatusOf {
  /** `<merchant>/<channel>`. */
  key: string;
  /**
   * `failing`: its last look failed (lastError); `silent`: no look for `http.readiness.silentAfter` intervals (the rule /readyz uses)
   * (or never, while the daemon has run longer than that); `waiting`: not looked at yet; else `ok`.
   * With `runningSince`, only looks by this process count: a last look from before the start (a
   * previous run of the daemon) gives `waiting` (or `silent`), with `previousRun` saying how it went.
   */
  state: 'ok' | 'failing' | 'silent' | 'waiting';
  /** The last look when it was made before this process started (null otherwise): failing with its error, or ok. */
  previousRun: PreviousRun | null;
  cadence: Cadence;
  /** The next poll (last look + interval) or the next scheduled pull, UTC ISO 8601; null when unknown. */
  nextRunAt: string | null;
  /** Files received and new orders stored since midnight in the config's timezone. */
  filesToday: number;
  ordersToday: number;
  /** Files of this channel in the quarantine list now. */
  quarantinedNow: number;
  /** Shipment pushes to this channel (webshop channels that push them): pending and failed now. */
  pushes: { pending: number; failed: number } | null;
}

/** How a channel's last look went when a previous run of the daemon made it. */
export interface PreviousRun {
  failing: boolean;
  /** The last error when failing. */
  error: string | null;
  /** When the last look (or the error, when failing) happened, UTC ISO 8601. */
  at: string | null;
}

/** One merchant's deliveries to the warehouse (orders) and its shipments waiting for its export. */
export interface MerchantOverview {
  merchant: string;
  name: string | null;
  deliveries: { pending: number; failed: number };
}

/** What the console's overview page shows. */
export interface Overview {
  /** When this was gathered (UTC ISO 8601). */
  at: string;
  /** Midnight in `timezone` (UTC ISO 8601): "today" starts here. */
  todayFrom: string;
  timezone: string;
  merchants: MerchantOverview[];
  channels: ChannelOverview[];
  exports: ExportStatus[];
  pushes: PushStatus[];
  outbox: LedgerSummary['outbox'];
  quarantined: number;
}

/**
 * Gathers the overview: every configured channel with its state, last and next run and today's
 * activity, the merchants' deliveries, the exports and pushes. `runningSince` (epoch ms) is when the
 * daemon started: a channel never looked at is `silent` only once the daemon ran longer than its
 * silence limit. Throws what the store throws (LEDGER_FAILED).
 */
export async function gatherOverview(cfg: LoadedConfig, store: Store, opts: { now?: Date; runningSince?: number } = {}): Promise<Overview> {
  const now = opts.now ?? new Date();
  const todayFrom = (latestExportRun('0 0 * * *', cfg.timezone, now) ?? new Date(now.getTime() - 86_400_000)).toISOString();
  const summary = await store.summary();
  const activity = await store.activitySince(todayFrom);
  const act = new Map(activity.channels.map((a) => [`${a.merchant}/${a.channel}`, a]));
  const entries = new Map([...cfg.channels, ...cfg.reportSources].map((e) => [e.key, e]));
  const { silentAfter } = readinessOf(cfg.raw);
  const channels: ChannelOverview[] = channelStatuses(cfg, summary).map((c) => {
    const key = `${c.merchant}/${c.channel}`;
    const cadence = cadenceOf(c.type, entries.get(key)?.config);
    const push = activity.outbox.filter((o) => o.destination === shipmentPushDestination(key));
    return {
      ...c, key, cadence,
      ...channelState(c, cadence, cfg.timezone, now, silentAfter, opts.runningSince),
      nextRunAt: nextRunOf(c, cadence, cfg.timezone, now),
      filesToday: act.get(key)?.files ?? 0,
      ordersToday: act.get(key)?.orders ?? 0,
      quarantinedNow: summary.quarantined.filter((q) => q.merchant === c.merchant && q.channel === c.channel).length,
      pushes: push.length > 0 || isApiChannelType(c.type) ? { pending: sum(push, 'pending'), failed: sum(push, 'failed') } : null,
    };
  });
  const merchants: MerchantOverview[] = Object.entries(cfg.raw.merchants).map(([merchant, m]) => {
    const rows = activity.outbox.filter((o) => o.merchant === merchant && o.destination.startsWith('warehouse.'));
    return { merchant, name: (m as { name?: string }).name ?? null, deliveries: { pending: sum(rows, 'pending'), failed: sum(rows, 'failed') } };
  });
  return {
    at: now.toISOString(), todayFrom, timezone: cfg.timezone, merchants, channels,
    exports: await exportStatuses(cfg, store, now), pushes: await pushStatuses(cfg, store, summary, now),
    outbox: summary.outbox, quarantined: summary.quarantined.length,
  };
}

function sum(rows: { pending: number; failed: number }[], k: 'pending' | 'failed'): number {
  return rows.reduce((n, r) => n + r[k], 0);
}

/** How long a channel may go without a look before it counts as silent, in ms. */
function silenceLimitMs(cadence: Cadence, timezone: string, from: Date, silentAfter: number): number {
  const interval = cadence.kind === 'poll' ? cadence.intervalMs : scheduleGapMs(cadence.schedule, timezone, from) ?? 86_400_000;
  return silentAfter * interval;
}

/**
 * A channel's state (see ChannelOverview.state) and, when its last look was made before `runningSince`
 * (epoch ms, this process's start), how that previous run's look went: such a look says nothing about
 * this process, the same as /readyz (src/observe/readiness.ts) counts only this process's looks.
 */
export function channelState(c: ChannelStatus, cadence: Cadence, timezone: string, now: Date, silentAfter: number, runningSince?: number): Pick<ChannelOverview, 'state' | 'previousRun'> {
  const failing = !!c.lastError && (!c.lastOkAt || (c.lastErrorAt ?? '') > c.lastOkAt);
  const lastLook = [c.lastPollAt, c.lastErrorAt, c.lastOkAt].reduce<string | null>((a, b) => (b && (!a || b > a) ? b : a), null);
  const limit = silenceLimitMs(cadence, timezone, now, silentAfter);
  if (lastLook && runningSince !== undefined && Date.parse(lastLook) < runningSince) {
    const previousRun: PreviousRun = failing ? { failing, error: c.lastError, at: c.lastErrorAt } : { failing, error: null, at: lastLook };
    return { state: now.getTime() - runningSince > limit ? 'silent' : 'waiting', previousRun };
  }
  if (failing) return { state: 'failing', previousRun: null };
  if (!c.lastPollAt) return { state: runningSince !== undefined && now.getTime() - runningSince > limit ? 'silent' : 'waiting', previousRun: null };
  return { state: now.getTime() - Date.parse(c.lastPollAt) > limit ? 'silent' : 'ok', previousRun: null };
}

function nextRunOf(c: ChannelStatus, cadence: Cadence, timezone: string, now: Date): string | null {
  if (cadence.kind === 'cron') return nextRuns(cadence.schedule, timezone, now, 1)[0]?.toISOString() ?? null;
  if (!c.lastPollAt) return null;
  return new Date(Math.max(now.getTime(), Date.parse(c.lastPollAt) + cadence.intervalMs)).toISOString();
}
