import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import type { JobActivity } from '../daemon/activity.js';
import { describeError } from '../errors.js';
import { isPlatform } from '../connectors/platforms.js';
import { WAREHOUSE_ORDERS, WAREHOUSE_PRODUCTS, shipmentExportDestination, shipmentPushDestination } from '../pipeline/routing.js';
import type { ApiLabels, BatchOutcome, DeliveryOutcome, MetricsSink } from './sink.js';

/**
 * The Prometheus metrics of `wharf run` (prom-client, its own Registry: nothing global), listed with
 * their meaning in docs/operations.md "Metrics". Counters come from events of the running daemon
 * (MetricsSink, src/observe/sink.ts); the open deliveries, the quarantine and the ledger size are
 * read from the ledger when scraped (`render`), in two indexed queries and a file stat.
 *
 * Labels are bounded by the config: merchant, channel, platform, kind, outcome, status (HTTP status
 * code). Never an order id, a file name or a URL.
 */

/** Duration buckets (seconds) for looks and pulls: from a quick empty look to a ten-minute catalogue. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const FILE_OUTCOMES = ['imported', 'partial', 'duplicate', 'quarantined', 'error'] as const;
const DELIVERY_OUTCOMES: DeliveryOutcome[] = ['delivered', 'unchanged', 'retry', 'failed'];

/** What the scrape reads: the config, the ledger and the gateway's channel jobs. */
export interface MetricsSources {
  config: LoadedConfig;
  store: Pick<Store, 'openCounts' | 'size'>;
  /** The gateway's channel jobs (Gateway.activity.list()). */
  jobs?: () => JobActivity[];
  logger: Logger;
}

export class WharfMetrics implements MetricsSink {
  readonly registry = new Registry();

  private readonly files = this.counter('wharf_files_total', 'Batches (files, webshop pages) through intake, by outcome: imported, partial, duplicate, quarantined, error (not finished: tried again).', ['merchant', 'channel', 'outcome']);
  private readonly records = this.counter('wharf_records_total', 'Records read, by kind and outcome: new, cancellation, duplicate, stored, invalid, rejected (valid but in a rejected file).', ['merchant', 'channel', 'kind', 'outcome']);
  private readonly deliveries = this.counter('wharf_deliveries_total', 'Warehouse deliveries (order, cancel, product files) by outcome: delivered, unchanged (identical file there already), retry, failed (needs wharf retry).', ['merchant', 'channel', 'kind', 'outcome']);
  private readonly pushes = this.counter('wharf_pushes_total', 'Items pushed to webshops, by kind (stock, shipment) and outcome: pushed, retry, failed, unknown (SKU unknown to the shop), refused.', ['merchant', 'channel', 'kind', 'outcome']);
  private readonly pushRuns = this.counter('wharf_push_runs_total', 'Push runs by kind (stock, shipment) and outcome: ok, failed.', ['merchant', 'channel', 'kind', 'outcome']);
  private readonly exportRuns = this.counter('wharf_export_runs_total', 'Merchant export runs by kind (stock, shipments) and outcome: written, unchanged, empty, already-done, failed.', ['merchant', 'kind', 'outcome']);
  private readonly apiRequests = this.counter('wharf_api_requests_total', 'Webshop API request attempts by platform and HTTP status (network: no answer).', ['merchant', 'channel', 'platform', 'status']);
  private readonly apiRetries = this.counter('wharf_api_retries_total', 'Webshop API requests sent again after a failed or throttled attempt.', ['merchant', 'channel', 'platform']);
  private readonly apiThrottles = this.counter('wharf_api_throttled_total', 'Webshop API answers saying "slow down" (HTTP 429 and the platform\'s own).', ['merchant', 'channel', 'platform']);
  private readonly pollSeconds = new Histogram({ name: 'wharf_poll_duration_seconds', help: 'Looks at a folder/SFTP channel or report source, with the intake of the files found, by outcome: ok, failed.', labelNames: ['merchant', 'channel', 'outcome'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  private readonly pullSeconds = new Histogram({ name: 'wharf_pull_duration_seconds', help: 'Webshop pulls by kind (orders, products) and outcome: ok, failed.', labelNames: ['merchant', 'channel', 'kind', 'outcome'], buckets: DURATION_BUCKETS, registers: [this.registry] });

  private readonly openDeliveries = this.gauge('wharf_deliveries_open', 'Warehouse deliveries not delivered, by kind (order, cancel, product) and status: pending (incl. waiting for a retry), failed.', ['merchant', 'kind', 'status']);
  private readonly openPushes = this.gauge('wharf_pushes_open', 'Shipment pushes not done, by status: pending (incl. waiting for a retry), failed.', ['merchant', 'channel', 'kind', 'status']);
  private readonly openExportRows = this.gauge('wharf_export_rows_open', 'Shipments waiting for the merchant\'s next shipments export.', ['merchant', 'kind', 'status']);
  private readonly quarantined = this.gauge('wharf_quarantined_files', 'Files in quarantine now (rejected, or partly imported with a quarantined copy), until retried.', ['merchant', 'channel']);
  private readonly ledgerBytes = this.gauge('wharf_ledger_size_bytes', 'The ledger\'s size (SQLite: file and WAL; PostgreSQL: its tables with indexes).', []);
  private readonly ledgerUp = this.gauge('wharf_ledger_up', '1 when the scrape could read the ledger, else 0.', []);
  private readonly lastSuccess = this.gauge('wharf_channel_last_success_timestamp_seconds', 'Unix time of a channel job\'s last successful look or pull (kind: poll, orders, products); absent until the first.', ['merchant', 'channel', 'kind']);

  constructor(private readonly sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    // Known series start at 0, so that increase() and alerts see their first event.
    const { config } = sources;
    for (const e of [...config.channels, ...config.reportSources]) {
      for (const outcome of FILE_OUTCOMES) this.files.inc({ merchant: e.merchant, channel: e.channel, outcome }, 0);
    }
    for (const e of config.channels) {
      for (const kind of ['order', 'cancel']) for (const outcome of DELIVERY_OUTCOMES) this.deliveries.inc({ merchant: e.merchant, channel: e.channel, kind, outcome }, 0);
    }
  }

  fileProcessed(merchant: string, channel: string, r: BatchOutcome | 'error'): void {
    if (r === 'error') {
      this.files.inc({ merchant, channel, outcome: 'error' });
      return;
    }
    this.files.inc({ merchant, channel, outcome: r.status });
    if (r.records === 0 || r.kind === undefined) return;
    const add = (outcome: string, n: number) => {
      if (n > 0) this.records.inc({ merchant, channel, kind: r.kind!, outcome }, n);
    };
    if (r.status === 'quarantined') {
      add('invalid', r.invalid);
      add('rejected', r.records - r.invalid);
      return;
    }
    add('new', r.newRecords);
    add('cancellation', r.cancellations);
    add('duplicate', r.duplicates);
    add('stored', r.stored);
    add('invalid', r.invalid);
  }

  delivered(merchant: string, channel: string, kind: string, outcome: DeliveryOutcome, n: number): void {
    if (n > 0) this.deliveries.inc({ merchant, channel, kind, outcome }, n);
  }

  pushed(merchant: string, channel: string, kind: 'stock' | 'shipment', outcome: string, n: number): void {
    if (n > 0) this.pushes.inc({ merchant, channel, kind, outcome }, n);
  }

  pushRun(merchant: string, channel: string, kind: 'stock' | 'shipment', ok: boolean): void {
    this.pushRuns.inc({ merchant, channel, kind, outcome: ok ? 'ok' : 'failed' });
  }

  exportRun(merchant: string, kind: string, outcome: string): void {
    this.exportRuns.inc({ merchant, kind, outcome });
  }

  polled(merchant: string, channel: string, seconds: number, ok: boolean): void {
    this.pollSeconds.observe({ merchant, channel, outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  pulled(merchant: string, channel: string, job: string, seconds: number, ok: boolean): void {
    this.pullSeconds.observe({ merchant, channel, kind: job, outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  apiRequest(l: ApiLabels, status: number | 'network'): void {
    this.apiRequests.inc({ merchant: l.merchant, channel: l.channel, platform: l.platform, status: String(status) });
  }

  apiRetry(l: ApiLabels): void {
    this.apiRetries.inc({ merchant: l.merchant, channel: l.channel, platform: l.platform });
  }

  apiThrottled(l: ApiLabels): void {
    this.apiThrottles.inc({ merchant: l.merchant, channel: l.channel, platform: l.platform });
  }

  /** The exposition (Prometheus text format 0.0.4) after reading the ledger's gauges. Never throws for a ledger fault. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Reads the ledger's open deliveries, quarantine and size, and the channels' last successes. */
  private async refresh(): Promise<void> {
    const { config, store } = this.sources;
    for (const j of this.sources.jobs?.() ?? []) {
      if (j.lastOkAt !== undefined) this.lastSuccess.set({ merchant: j.merchant, channel: j.channel, kind: j.job }, j.lastOkAt / 1000);
    }
    const pushDest = new Map(config.channels.filter((e) => isPlatform(e.config.type)).map((e) => [shipmentPushDestination(e.key), e]));
    const exportDest = new Map(config.exports.filter((e) => e.kind === 'shipments').map((e) => [shipmentExportDestination(e.merchant), e]));
    try {
      const [counts, bytes] = await Promise.all([store.openCounts([WAREHOUSE_ORDERS, WAREHOUSE_PRODUCTS, ...pushDest.keys(), ...exportDest.keys()]), store.size()]);
      for (const g of [this.openDeliveries, this.openPushes, this.openExportRows, this.quarantined]) g.reset();
      const merchants = new Set(config.channels.map((e) => e.merchant));
      for (const merchant of merchants) for (const kind of ['order', 'cancel']) for (const status of ['pending', 'failed']) this.openDeliveries.set({ merchant, kind, status }, 0);
      for (const e of pushDest.values()) for (const status of ['pending', 'failed']) this.openPushes.set({ merchant: e.merchant, channel: e.channel, kind: 'shipment', status }, 0);
      for (const e of exportDest.values()) this.openExportRows.set({ merchant: e.merchant, kind: 'shipments', status: 'pending' }, 0);
      for (const e of [...config.channels, ...config.reportSources]) this.quarantined.set({ merchant: e.merchant, channel: e.channel }, 0);
      for (const r of counts.outbox) {
        const push = pushDest.get(r.destination);
        if (push) this.openPushes.inc({ merchant: push.merchant, channel: push.channel, kind: 'shipment', status: r.status }, r.n);
        else if (exportDest.has(r.destination)) this.openExportRows.inc({ merchant: r.merchant, kind: 'shipments', status: r.status }, r.n);
        else this.openDeliveries.inc({ merchant: r.merchant, kind: r.action, status: r.status }, r.n);
      }
      for (const q of counts.quarantined) this.quarantined.set({ merchant: q.merchant, channel: q.channel }, q.n);
      this.ledgerBytes.set(bytes);
      this.ledgerUp.set(1);
    } catch (err) {
      this.ledgerUp.set(0);
      this.sources.logger.warn(`metrics: cannot read the ledger's counts; the open deliveries, quarantine and size are left out of this scrape: ${describeError(err)}`);
      for (const g of [this.openDeliveries, this.openPushes, this.openExportRows, this.quarantined, this.ledgerBytes]) g.reset();
    }
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string, labelNames: string[]): Gauge<string> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
