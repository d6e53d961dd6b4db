import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { WharfError, describeError } from '../errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import type { DeliveryResult } from '../pipeline/deliver.js';
import { WarehouseDeliveries } from './deliveries.js';
import { processBatch, type IntakeResult } from '../pipeline/intake.js';
import { IntakeGroup } from '../pipeline/group.js';
import type { ReadyFile } from '../pipeline/ports.js';
import { batchOfFile } from '../sources/batch.js';
import { Wakeup } from './wakeup.js';
import { warmReadWorker } from '../pipeline/read-pool.js';
import { buildChannel, type OpenChannel } from './channels.js';
import { intakePolicyOf, isReportSource } from './intake-policy.js';
import { isChannelBusy, runApiJob, type ApiJob } from './api-channel.js';
import { isPlatform as isApiChannelType } from '../connectors/platforms.js';
import type { ChannelConnector } from '../connectors/index.js';
import { Scheduler } from '../schedule/cron.js';
import type { ChannelEntry } from '../config/load.js';
import { ExportScheduler } from './exports.js';
import { PushJobs } from './push.js';
import { runExport } from '../exports/run.js';
import { describeCounts, prune } from '../ledger/retention.js';
import { GatewayActivity } from './activity.js';
import { metricsSink } from '../observe/sink.js';
import { JobRunner, SingleFlight, type JobKind, type JobState } from './jobs.js';
import type { JobProgress as PullProgress, JobResult as PullResult } from './api-channel.js';

/** A "sync now" request (POST /api/jobs): a channel job, or a merchant export (`<merchant>/<export>`). */
export type SyncRequest = { channel: string; job: 'orders' | 'products' | 'stock' | 'shipments' } | { export: string };

/** Why a sync request cannot be started: `status` 404 (no such channel or export) or 400 (not a job of it). */
export interface SyncRefusal {
  status: 400 | 404 | 409;
  message: string;
}

/** One "poll now" of a file channel waiting for the next complete poll of the channel loop. */
interface PollWaiter {
  onFile(done: number, total: number): void;
  resolve(t: PassTotals): void;
}


export interface PassTotals {
  files: number;
  imported: number;
  duplicates: number;
  quarantined: number;
  partial: number;
  newOrders: number;
  cancellations: number;
  deliveries: DeliveryResult;
  channelErrors: { channel: string; error: string }[];
}

/** Small files of a poll read ahead of the one in intake (see pollChannel). */
const PREFETCH = 4;

/**
 * The running gateway: every channel's source, the intake pipeline and the warehouse delivery.
 * `once()` is one full pass; `run()` loops until stopped and finishes in-flight work on stop.
 */
export class Gateway {
  private readonly channels: OpenChannel[];
  /** Webshop/marketplace channels: pulled on their cron schedules, not polled. */
  private readonly apiChannels: { entry: ChannelEntry; connector: ChannelConnector }[];
  private readonly scheduler: Scheduler;
  private readonly delivery: WarehouseDeliveries;
  /** The merchant exports (stock, shipments) on their own schedules; `once` runs only those due by catch-up. */
  private readonly exports: ExportScheduler;
  /** Stock and shipment pushes to the webshop channels that enabled them. */
  private readonly pushes: PushJobs;
  /** What each channel job did lately (for /readyz and the metrics). */
  readonly activity = new GatewayActivity();
  private stopping = false;
  /** Epoch ms after which the final delivery pass stops (set by stop()). */
  private deliverUntil = Infinity;
  private readonly wakes = new Map<OpenChannel, Wakeup>();
  private readonly deliveryWake = new Wakeup();
  private readonly pruneWake = new Wakeup();
  private markStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  /** The webshop pulls, one per channel and job at a time, whoever starts them (schedule or sync now). */
  private readonly pulls = new SingleFlight<PullResult, PullProgress>();
  /** "Sync now" requests (the console's API). */
  readonly jobs = new JobRunner();
  /** Per file channel: the "sync now" requests waiting for its next poll. */
  private readonly pollWaiters = new Map<OpenChannel, PollWaiter[]>();
  /** Per file channel: the totals of the poll going on now (a "sync now" made meanwhile counts its files too). */
  private readonly pollsRunning = new Map<OpenChannel, PassTotals>();
  private running = false;

  /**
   * The gateway of `config`. `mode: 'once'` builds no file-system watchers: a single pass only looks.
   * The webshop connectors (src/connectors, some 70 modules) are loaded only when the config has a
   * webshop channel. Throws what building a channel throws (CONFIG_INVALID for a channel config).
   */
  static async open(config: LoadedConfig, store: Store, logger: Logger, mode: 'run' | 'once' = 'run'): Promise<Gateway> {
    const connectorOf = config.channels.some((e) => isApiChannelType(e.config.type)) ? (await import('./connectors.js')).connectorOf : noConnectors;
    return new Gateway(config, store, logger, mode, connectorOf);
  }

  private constructor(
    private readonly config: LoadedConfig,
    private readonly store: Store,
    private readonly logger: Logger,
    mode: 'run' | 'once',
    connectorOf: (entry: ChannelEntry, logger: Logger) => ChannelConnector,
  ) {
    // Merchant folder/SFTP channels and the warehouse report sources (`@warehouse/<name>`), polled alike.
    const fileChannels = [...config.channels.filter((e) => !isApiChannelType(e.config.type)), ...config.reportSources];
    this.channels = fileChannels.map((entry) => buildChannel(config, entry, store, logger, { watch: mode === 'run' }));
    this.apiChannels = config.channels.filter((e) => isApiChannelType(e.config.type)).map((entry) => ({ entry, connector: connectorOf(entry, logger) }));
    this.scheduler = new Scheduler(config.timezone, logger);
    this.delivery = new WarehouseDeliveries(config, store, logger);
    this.exports = new ExportScheduler(config.exports, { store, logger, run: (entry, at, onProgress) => countedExport(runExport(entry, at, { store, config, logger, onProgress }), entry) });
    this.pushes = new PushJobs(config, store, logger, this.apiChannels);
    for (const ch of this.channels) this.activity.add({ key: ch.entry.key, merchant: ch.entry.merchant, channel: ch.entry.channel, job: 'poll', intervalMs: ch.pollIntervalMs });
    for (const { entry, connector } of this.apiChannels) {
      for (const job of ['orders', 'products'] as const) this.activity.add({ key: entry.key, merchant: entry.merchant, channel: entry.channel, job, schedule: connector.schedules[job], timezone: config.timezone });
    }
  }

  /** One pass: every source until nothing is pending, then every due delivery. */
  async once(): Promise<PassTotals> {
    const totals = emptyTotals();
    if (this.channels.length > 0) warmReadWorker();
    await Promise.all(this.channels.map((ch) => this.openChannel(ch, totals)));
    for (const ch of this.channels) {
      if (totals.channelErrors.some((e) => e.channel === ch.entry.key)) continue;
      // Completeness needs two looks and a minimum age, so a pass looks until nothing is pending.
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const processed = await this.pollChannel(ch, totals);
        if (processed === undefined) break;
        if (processed === 0 && ch.source.pending === 0) break;
        if (Date.now() > deadline) break;
        if (processed === 0) await delay(Math.min(500, ch.pollIntervalMs));
      }
    }
    for (const api of this.apiChannels) {
      for (const job of ['orders', 'products'] as const) {
        const ok = await this.apiJob(api, job, totals);
        if (!ok) break;
      }
    }
    // After intake, so an export due now includes the reports this pass took in.
    await this.exports.runDue();
    await this.pushes.runAll();
    totals.deliveries = await this.delivery.deliverDue();
    await this.close();
    return totals;
  }

  /** One API job; errors are logged and counted, never thrown (one channel never stops another). */
  private async apiJob({ entry, connector }: { entry: ChannelEntry; connector: ChannelConnector }, job: ApiJob, totals?: PassTotals): Promise<boolean> {
    try {
      const r = await this.pull({ entry, connector }, job).promise;
      if (totals) r.results.forEach((x) => count(totals, x));
      if (r.results.some((x) => x.newRecords > 0 || x.cancellations > 0)) this.deliveryWake.fire();
      return true;
    } catch (err) {
      const error = describeError(err);
      if (isChannelBusy(err)) {
        // Another process (`wharf sync`) pulls this channel now: it takes what this run would; the next run the rest.
        this.logger.info({ merchant: entry.merchant, channel: entry.channel, job }, `${job} pull skipped: ${error}`);
        return true;
      }
      totals?.channelErrors.push({ channel: entry.key, error });
      this.logger.error({ merchant: entry.merchant, channel: entry.channel, job }, `${job} pull failed: ${error}`);
      return false;
    }
  }

  /** True once `stop()` was called: new work (a webhook delivery) is refused so the platform sends it again later. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** The webshop channel `merchant`/`channel` with its connector (the one the scheduled pull uses), or undefined. */
  apiChannel(merchant: string, channel: string): { entry: ChannelEntry; connector: ChannelConnector } | undefined {
    return this.apiChannels.find((a) => a.entry.merchant === merchant && a.entry.channel === channel);
  }

  /**
   * The records of a verified webhook delivery through the pipeline (src/daemon/webhook-intake.ts);
   * wakes the delivery loop when they hold new orders or cancellations. Throws what intake throws.
   */
  async intakeWebhook(api: { entry: ChannelEntry; connector: ChannelConnector }, records: unknown[]): Promise<IntakeResult> {
    const { intakeWebhook } = await import('./webhook-intake.js');
    const result = await intakeWebhook(this.config, api.entry, api.connector, records, this.store, this.logger);
    if (result.newRecords > 0 || result.cancellations > 0) this.deliveryWake.fire();
    return result;
  }

  /** A verified webhook delivery whose body is not JSON: quarantined as the raw bytes (src/daemon/webhook-intake.ts). */
  async intakeUnreadableWebhook(api: { entry: ChannelEntry; connector: ChannelConnector }, raw: Buffer, parseMessage: string): Promise<IntakeResult> {
    const { intakeUnreadableWebhook } = await import('./webhook-intake.js');
    return intakeUnreadableWebhook(this.config, api.entry, api.connector, raw, parseMessage, this.store, this.logger);
  }

  /** One webshop pull, or the one of this channel and job already going (joined, with its progress). */
  private pull({ entry, connector }: { entry: ChannelEntry; connector: ChannelConnector }, job: ApiJob, onProgress?: (p: PullProgress) => void): { promise: Promise<PullResult>; joined: boolean } {
    return this.pulls.run(`${entry.key} ${job}`, (progress) => this.observedPull(entry, connector, job, progress), onProgress);
  }

  /** runApiJob, noted in the activity record (each page and the end) and timed for the metrics. */
  private async observedPull(entry: ChannelEntry, connector: ChannelConnector, job: ApiJob, progress: (p: PullProgress) => void): Promise<PullResult> {
    const started = performance.now();
    try {
      const r = await runApiJob(this.config, entry, connector, job, this.store, this.logger, (p) => {
        this.activity.ok(entry.key, job);
        progress(p);
      });
      this.activity.ok(entry.key, job);
      metricsSink()?.pulled(entry.merchant, entry.channel, job, (performance.now() - started) / 1000, true);
      return r;
    } catch (err) {
      // Another process pulling it is no failure of the channel (see apiJob).
      if (isChannelBusy(err)) throw err;
      this.activity.failed(entry.key, job, describeError(err));
      metricsSink()?.pulled(entry.merchant, entry.channel, job, (performance.now() - started) / 1000, false);
      throw err;
    }
  }

  /**
   * "Sync now" (issue 11 §4): starts a job in the running daemon and returns it (JobRunner: a second
   * request while one runs returns that one, `created` false). Never runs a job twice at once:
   * - a file channel or report source (`orders`): wakes its loop and waits for its next complete
   *   poll (the loop is the only one that polls it);
   * - a webshop pull (`orders`, `products`): joins the pull going (scheduled or not), else starts one;
   * - a push (`stock`, `shipments` on a webshop channel): through PushJobs' guard and the push lease
   *   (another process pushing makes the run a skip, said in the result);
   * - an export (`{ export: 'demo/stock' }`, or `stock`/`shipments` with a bare merchant as channel):
   *   joins the export's run going, else runs it for now (rounded down to the second).
   * Returns a refusal when the daemon is not running, or the channel, export or job is unknown.
   */
  syncNow(req: SyncRequest): { job: JobState; created: boolean } | SyncRefusal {
    if (!this.running || this.stopping) return { status: 409, message: 'the daemon is not running (stopping or not started): nothing can be started now' };
    if ('export' in req) return this.syncExport(req.export);
    const { channel, job } = req;
    const file = this.channels.find((c) => c.entry.key === channel);
    if (file) {
      if (job !== 'orders') return { status: 400, message: `${channel} is a ${file.entry.config.type} channel; its only job is orders (one look at the channel and every file ready in it)` };
      return this.jobs.start(channel, 'orders', 'files', async (report) => {
        // A poll going on now may be taking the very files the request is about: its files count too
        // (it ends before the next poll, which this request waits for, begins).
        const running = this.pollsRunning.get(file);
        const next = await new Promise<PassTotals>((resolve) => {
          const list = this.pollWaiters.get(file) ?? [];
          list.push({ onFile: (done, total) => report({ done, total, text: `${done} of ${total} file(s)` }), resolve });
          this.pollWaiters.set(file, list);
          this.wakeOf(file).fire();
        });
        if (next.channelErrors.length > 0) throw new Error(next.channelErrors.map((e) => e.error).join('; '));
        const t = running ? addTotals(running, next) : next;
        const pending = file.source.pending;
        const joined = running && running.files > 0 ? ` (${running.files} of them by the poll that was going on when asked)` : '';
        report({ done: t.files, total: t.files, text: `${pollText(t.files, pending, file.source.pendingReason)}${joined}` });
        return { files: t.files, imported: t.imported, partial: t.partial, duplicate: t.duplicates, quarantined: t.quarantined, newOrders: t.newOrders, cancellations: t.cancellations, pending, ...(pending > 0 && file.source.pendingReason ? { pendingWaitingFor: file.source.pendingReason } : {}) };
      });
    }
    const api = this.apiChannels.find((a) => a.entry.key === channel);
    if (!api) {
      if (!channel.includes('/') && (job === 'stock' || job === 'shipments')) return this.syncExport(`${channel}/${job}`);
      return { status: 404, message: `no channel ${channel} in the config (channels are merchant/channel or @warehouse/<name>)` };
    }
    if (job === 'orders' || job === 'products') {
      return this.jobs.start(channel, job, 'records', async (report) => {
        const { promise } = this.pull(api, job, (p) => report({ done: p.records, text: `page ${p.pages}, ${p.records} record(s)` }));
        const r = await promise;
        if (r.results.some((x) => x.newRecords > 0 || x.cancellations > 0)) this.deliveryWake.fire();
        const sum = (f: (x: PullResult['results'][number]) => number) => r.results.reduce((n, x) => n + f(x), 0);
        report({ done: r.records, total: r.records, text: `${r.pages} page(s), ${r.records} record(s)` });
        return { pages: r.pages, records: r.records, new: sum((x) => x.newRecords), cancellations: sum((x) => x.cancellations), duplicates: sum((x) => x.duplicates), invalid: sum((x) => x.invalid), quarantinedPages: r.results.filter((x) => x.status === 'quarantined' || x.status === 'partial').length };
      });
    }
    const unit = job === 'stock' ? 'SKUs' : 'shipments';
    if (!this.pushes.pushes(channel, job)) return { status: 400, message: `${channel} does not push ${job} (push.${job}.enabled is off, or its platform has no push)` };
    return this.jobs.start(channel, job, unit, async (report) => {
      const run = this.pushes.runNow(channel, job, (p) => report({ done: p.done, total: p.total, unit: p.unit, text: `${p.done}${p.total !== null ? ` of ${p.total}` : ''} ${p.unit}` }));
      if (!run) throw new Error(`${channel} does not push ${job}`);
      const outcome = await run;
      if ('error' in outcome) throw new Error(outcome.error);
      return outcome.result;
    });
  }

  private syncExport(key: string): { job: JobState; created: boolean } | SyncRefusal {
    if (!this.config.exports.some((e) => e.key === key)) {
      return { status: 404, message: `no export ${key} in the config (configured: ${this.config.exports.map((e) => e.key).join(', ') || 'none'})` };
    }
    return this.jobs.start(key, 'export' satisfies JobKind, 'items', async (report) => {
      const at = new Date(Math.floor(Date.now() / 1000) * 1000);
      const run = this.exports.runNow(key, at, (p) => report({ done: p.items, total: p.total ?? null, text: `${p.items}${p.total !== undefined ? ` of ${p.total}` : ''} item(s)` }));
      if (!run) throw new Error(`no export ${key}`);
      if ('joined' in run) {
        await run.joined;
        report({ text: 'joined the run of this export that was going on its schedule; it has finished' });
        return { joined: 'a run of this export was going (on its schedule); it has finished: see its outcome in the overview' };
      }
      const r = (await run.started) as Awaited<ReturnType<typeof runExport>>;
      report({ done: r.items, total: r.items, text: exportText(r) });
      return { runId: r.runId, scheduledAt: r.scheduledAt, outcome: r.outcome, fileName: r.fileName ?? null, items: r.items, rows: r.rows, bytes: r.bytes };
    });
  }

  /** The daemon: loops until `stop()`. */
  async run(): Promise<void> {
    this.running = true;
    const totals = emptyTotals();
    if (this.channels.length > 0) warmReadWorker();
    await Promise.all(this.channels.map((ch) => this.openChannel(ch, totals)));
    for (const ch of this.channels) ch.source.onChange?.(() => this.wakeOf(ch).fire());
    this.logger.info({ channels: this.channels.map((c) => c.entry.key) }, `wharf is running: ${this.channels.length} channel(s)`);
    for (const api of this.apiChannels) {
      this.scheduler.add(`${api.entry.key} orders`, api.connector.schedules.orders, () => this.apiJob(api, 'orders'));
      this.scheduler.add(`${api.entry.key} products`, api.connector.schedules.products, () => this.apiJob(api, 'products'));
    }
    await this.exports.start();
    this.pushes.start();
    const loops = [...this.channels.map((ch) => this.channelLoop(ch)), this.deliveryLoop(), this.pruneLoop(), this.stopped.then(() => Promise.all([this.scheduler.stop(), this.exports.stop(), this.pushes.stop()]))];
    await Promise.all(loops);
    // Every loop has finished its last file: deliver what those last intakes committed, as far as the
    // shutdown time allows; whatever is left stays pending in the ledger for the next start.
    let cut = false;
    const outOfTime = () => (cut ||= Date.now() >= this.deliverUntil);
    await this.delivery.deliverDue(outOfTime).catch((err: unknown) => this.logger.error(`final delivery pass failed; pending deliveries go out at the next start: ${describeError(err)}`));
    if (cut) this.logger.warn(`shutdownTimeout reached: deliveries still owed stay pending in the ledger and go out at the next start`);
    await this.close();
  }

  /** Wakes the delivery loop now (after a retry from the console queued deliveries), instead of at its next interval. */
  deliverSoon(): void {
    this.deliveryWake.fire();
  }

  /**
   * Asks `run()` to stop: no new file is taken, the file in hand is finished, a delivery pass ends after
   * the delivery in hand, and the final pass stops a second before `shutdownTimeoutMs` from now (the
   * CLI exits at that limit whatever is still running).
   */
  stop(): void {
    if (this.stopping) return;
    this.deliverUntil = Date.now() + Math.max(0, this.config.shutdownTimeoutMs - 1000);
    this.stopping = true;
    this.markStopped();
    for (const wake of this.wakes.values()) wake.fire();
    this.deliveryWake.fire();
    this.pruneWake.fire();
    for (const [ch, waiters] of this.pollWaiters) {
      for (const w of waiters) w.resolve({ ...emptyTotals(), channelErrors: [{ channel: ch.entry.key, error: 'the daemon is stopping: the poll did not run' }] });
    }
    this.pollWaiters.clear();
  }

  private async openChannel(ch: OpenChannel, totals: PassTotals): Promise<void> {
    try {
      await ch.source.open();
    } catch (err) {
      const error = describeError(err);
      totals.channelErrors.push({ channel: ch.entry.key, error });
      this.activity.failed(ch.entry.key, 'poll', error);
      await this.store.recordPoll(ch.entry.merchant, ch.entry.channel, { ok: false, error });
      this.logger.error({ merchant: ch.entry.merchant, channel: ch.entry.channel }, `cannot open channel: ${error}`);
    }
  }

  /** One look at a channel and every ready file through intake. Returns files processed, or undefined on a channel error. */
  private async pollChannel(ch: OpenChannel, totals?: PassTotals, onFile?: (done: number, total: number) => void): Promise<number | undefined> {
    const { merchant, channel } = ch.entry;
    const started = performance.now();
    let files;
    try {
      files = await ch.source.poll();
      this.activity.ok(ch.entry.key, 'poll');
    } catch (err) {
      const error = describeError(err);
      this.activity.failed(ch.entry.key, 'poll', error);
      metricsSink()?.polled(merchant, channel, (performance.now() - started) / 1000, false);
      await this.store.recordPoll(merchant, channel, { ok: false, error });
      this.logger.warn({ merchant, channel }, `poll failed: ${error}`);
      totals?.channelErrors.push({ channel: ch.entry.key, error });
      return undefined;
    }
    let processed = 0;
    let looked = 0;
    if (files.length > 0) onFile?.(0, files.length);
    // Several files per ledger transaction (src/pipeline/group.ts), when the store offers it.
    const ledgerGroup = files.length > 1 ? this.store.group?.() : undefined;
    const group = ledgerGroup && new IntakeGroup(ledgerGroup);
    /** A file's outcome counts once its ledger writes are committed (with its group's, in a group). */
    const counted = (result: IntakeResult) => {
      processed++;
      if (totals) count(totals, result);
      if (result.newRecords > 0 || result.cancellations > 0) this.deliveryWake.fire();
      if (isReportSource(ch.entry) && (result.status === 'imported' || result.status === 'partial') && !this.stopping) {
        this.pushes.stockChanged(ch.entry.reportMerchant);
        this.pushes.shipmentsChanged();
      }
    };
    const failed = (file: ReadyFile, err: unknown) => {
      // A file that changed while it was read is simply taken again once stable: not an error.
      if (err instanceof WharfError && err.code === 'FILE_CHANGED') this.logger.info({ merchant, channel, file: file.name }, describeError(err));
      else this.logger.error({ merchant, channel, file: file.name }, `could not process the file; it stays in place and is tried again: ${describeError(err)}`);
    };
    /** The ledger failed to begin or commit a group: the files of that group and the rest are given back. */
    let broken: { error: unknown } | undefined;
    const giveUp = async (error: unknown) => {
      broken ??= { error };
      await group?.abandon();
    };
    // Small files are read a few ahead (at most PREFETCH × IN_MEMORY_MAX bytes held), so that their reads
    // overlap the ledger work on the file before them; they are still taken one at a time, in name order.
    const batches = files.map((file) => batchOfFile(file, ch.source));
    for (const [i, file] of files.entries()) {
      looked++;
      if (!this.stopping && !broken) for (let j = i + 1; j <= i + PREFETCH && j < batches.length; j++) batches[j]!.prefetch?.();
      if (this.stopping || broken) {
        await ch.source.release(file);
        continue;
      }
      if (group) {
        try {
          await group.next();
        } catch (err) {
          await giveUp(err);
          await ch.source.release(file);
          continue;
        }
      }
      this.activity.busy(ch.entry.key, 'poll', true);
      try {
        const result = await processBatch(batches[i]!, intakePolicyOf(this.config, ch.entry), {
          store: group?.store ?? this.store,
          mappingsDir: this.config.mappingsDir,
          logger: this.logger,
          ...(group ? { group } : {}),
        });
        if (group) group.whenDone(batches[i]!, () => counted(result));
        else counted(result);
      } catch (err) {
        failed(file, err);
      } finally {
        this.activity.busy(ch.entry.key, 'poll', false);
      }
      onFile?.(looked, files.length);
    }
    if (group && !broken) await group.end().catch(giveUp);
    // None of the failed group's files is kept: they were given back untouched and come again.
    if (broken) this.logger.error({ merchant, channel }, `could not commit files to the ledger; they stay in place and are tried again: ${describeError(broken.error)}`);
    metricsSink()?.polled(merchant, channel, (performance.now() - started) / 1000, true);
    await this.store.recordPoll(merchant, channel, { ok: true, inFlight: ch.source.pending });
    return processed;
  }

  private async channelLoop(ch: OpenChannel): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      // The "sync now" requests made before this poll began get its outcome; one made during it waits for
      // the next and counts this one's files too (pollsRunning).
      const waiters = this.pollWaiters.get(ch) ?? [];
      this.pollWaiters.delete(ch);
      const tally = emptyTotals();
      this.pollsRunning.set(ch, tally);
      const processed = await this.pollChannel(ch, tally, (done, total) => waiters.forEach((w) => w.onFile(done, total)));
      this.pollsRunning.delete(ch);
      for (const w of waiters) w.resolve(tally);
      failures = processed === undefined ? failures + 1 : 0;
      if (this.stopping) break;
      // While files are settling, look again soon; otherwise wait for the rescan or a watcher event.
      const wait = failures > 0 ? Math.min(60_000, 1000 * 2 ** failures) : ch.source.pending > 0 || (processed ?? 0) > 0 ? Math.min(1000, ch.pollIntervalMs) : ch.pollIntervalMs;
      await this.wakeOf(ch).sleep(wait);
    }
  }

  private async deliveryLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.delivery.deliverDue(() => this.stopping);
      } catch (err) {
        this.logger.error(`delivery pass failed: ${describeError(err)}`);
      }
      if (this.stopping) break;
      await this.deliveryWake.sleep(this.config.delivery.intervalMs);
    }
  }

  /** The channel loop's sleep, cut short by a file event or stop (kept when it comes during a poll). */
  private wakeOf(ch: OpenChannel): Wakeup {
    let w = this.wakes.get(ch);
    if (!w) {
      w = new Wakeup();
      this.wakes.set(ch, w);
    }
    return w;
  }

  /**
   * The retention policy (config `ledger.retention`): one pass at start and every intervalMinutes, in
   * small transactions with the event loop given back between them, so intake never waits for more
   * than one batch. A pass cut by stop() starts over at the next start.
   */
  private async pruneLoop(): Promise<void> {
    const retention = this.config.retention;
    while (!this.stopping) {
      try {
        const started = Date.now();
        const counts = await prune(this.store, retention, { stop: () => this.stopping });
        if (Object.values(counts).some((n) => n > 0)) {
          this.logger.info({ ...counts, ms: Date.now() - started }, `ledger pruned (ledger.retention: bodies ${retention.bodiesDays} days, ids ${retention.idsDays} days): ${describeCounts(counts)}`);
        }
      } catch (err) {
        this.logger.error(`ledger pruning failed, tried again in ${retention.intervalMs / 60_000} minute(s): ${describeError(err)}`);
      }
      if (this.stopping) break;
      await this.pruneWake.sleep(retention.intervalMs);
    }
  }

  private async close(): Promise<void> {
    await Promise.all(this.channels.map((ch) => ch.close().catch(() => undefined)));
    await this.delivery.close();
  }
}

function emptyTotals(): PassTotals {
  return { files: 0, imported: 0, duplicates: 0, quarantined: 0, partial: 0, newOrders: 0, cancellations: 0, deliveries: { delivered: 0, unchanged: 0, failed: 0 }, channelErrors: [] };
}

function count(t: PassTotals, r: IntakeResult): void {
  t.files++;
  if (r.status === 'imported') t.imported++;
  else if (r.status === 'duplicate') t.duplicates++;
  else if (r.status === 'quarantined') t.quarantined++;
  else t.partial++;
  t.newOrders += r.newRecords;
  t.cancellations += r.cancellations;
}

/** Counts an export run's outcome (written, unchanged, empty, already-done, failed) for the metrics. */
async function countedExport<T extends { outcome: string }>(run: Promise<T>, entry: { merchant: string; kind: string }): Promise<T> {
  try {
    const r = await run;
    metricsSink()?.exportRun(entry.merchant, entry.kind, r.outcome);
    return r;
  } catch (err) {
    metricsSink()?.exportRun(entry.merchant, entry.kind, 'failed');
    throw err;
  }
}

/** Gateway.open's connectorOf for a config without webshop channels: never called. */
function noConnectors(entry: ChannelEntry): never {
  throw new Error(`internal: no connectors loaded for ${entry.key}`);
}

/**
 * A file channel's "sync now" in one line: how many files it took, and when files were seen but not
 * read yet, how many and what they wait for (the source's `pendingReason`), so "0 files" is never
 * left without its reason.
 */
/** The file counts of two polls together (the errors are the second's: the one a request waited for). */
function addTotals(a: PassTotals, b: PassTotals): PassTotals {
  return {
    files: a.files + b.files, imported: a.imported + b.imported, duplicates: a.duplicates + b.duplicates, quarantined: a.quarantined + b.quarantined,
    partial: a.partial + b.partial, newOrders: a.newOrders + b.newOrders, cancellations: a.cancellations + b.cancellations,
    deliveries: b.deliveries, channelErrors: b.channelErrors,
  };
}

export function pollText(files: number, pending: number, reason: string | undefined): string {
  const waiting = pending > 0 ? `${pending} file(s) seen but not read yet, waiting for ${reason ?? 'them to be complete'}; the channel takes them at a later look` : '';
  if (files === 0) return pending > 0 ? `no file ready: ${waiting}` : 'no file ready: the channel has no new file';
  return `${files} file(s) taken${waiting ? `; ${waiting}` : ''}`;
}

/** An export job's outcome in one line: the file written (or why none was). */
export function exportText(r: { outcome: string; fileName?: string; items: number; rows: number }): string {
  switch (r.outcome) {
    case 'written': return `wrote ${r.fileName ?? 'the file'}: ${r.items} item(s), ${r.rows} row(s)`;
    case 'unchanged': return `${r.fileName ?? 'the file'} was there already with the same content (${r.items} item(s))`;
    case 'empty': return 'nothing to export: no item, so no file (writeEmpty is off)';
    case 'already-done': return `this run was done already${r.fileName ? ` (${r.fileName})` : ''}: nothing written again`;
    default: return `${r.outcome}: ${r.items} item(s)`;
  }
}
