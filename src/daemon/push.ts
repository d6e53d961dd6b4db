import type { ChannelConnector } from '../connectors/index.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import { runShipmentPush } from '../push/shipments.js';
import { runStockPush } from '../push/stock.js';
import { Scheduler } from '../schedule/cron.js';
import { metricsSink } from '../observe/sink.js';

/** A push run's progress for "sync now": SKUs pushed of those changed, or shipments handled. */
export interface PushProgress {
  done: number;
  total: number | null;
  unit: string;
}

/** What the last run of a push did (counts), or why it failed. */
export type PushOutcome = { result: Record<string, unknown> } | { error: string };

interface PushChannel {
  entry: ChannelEntry;
  connector: ChannelConnector;
}

/** One job's overlap guard: a request while it runs makes one more run right after (never two at once, never a queue). */
class Guard {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly job: () => Promise<void>) {}

  /** Starts the job, or asks for one more run after the current one. Resolves when the job is idle again. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.job();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

/**
 * The stock and shipment pushes of the webshop channels that switched them on (`push.*.enabled`):
 * each on its cron (`schedules.stock`, `schedules.shipments`, in the daemon's time zone, DST as every
 * schedule, see src/schedule/cron.ts), once at start (catch-up: the pushes are change-based, so one run
 * covers every tick missed while Wharf was down), and the stock push also right after a stock report
 * of the channel's merchant was imported (`pushOnChange`). One run per channel and job at a time: a
 * tick or report arriving during a run makes one more run after it. Errors are logged (and kept for
 * `wharf status` by the runs), never thrown.
 */
export class PushJobs {
  private readonly stock = new Map<string, { ch: PushChannel; guard: Guard }>();
  private readonly shipments = new Map<string, { ch: PushChannel; guard: Guard }>();
  /** Per channel: the timer armed for the earliest retry due (see shipmentRun), and when it fires. */
  private readonly retryTimers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly scheduler: Scheduler;
  private started = false;
  private stopped = false;
  /** Per `<channel key> <job>`: listeners of the run's progress ("sync now"), and the last run's outcome. */
  private readonly listeners = new Map<string, Set<(p: PushProgress) => void>>();
  private readonly outcomes = new Map<string, PushOutcome>();

  constructor(private readonly config: LoadedConfig, private readonly store: Store, private readonly logger: Logger, channels: PushChannel[]) {
    this.scheduler = new Scheduler(config.timezone, logger);
    for (const ch of channels) {
      const s = ch.connector.push.settings;
      if (!ch.connector.push.supported) continue;
      if (s.stock.enabled) this.stock.set(ch.entry.key, { ch, guard: new Guard(() => this.stockRun(ch)) });
      if (s.shipments.enabled) this.shipments.set(ch.entry.key, { ch, guard: new Guard(() => this.shipmentRun(ch)) });
    }
  }

  /** The daemon: arms the timers and makes the start-up run of every push (in the background). */
  start(): void {
    this.started = true;
    for (const [key, j] of this.stock) this.scheduler.add(`${key} stock push`, j.ch.connector.push.settings.schedules.stock, () => j.guard.request());
    for (const [key, j] of this.shipments) this.scheduler.add(`${key} shipment push`, j.ch.connector.push.settings.schedules.shipments, () => j.guard.request());
    void this.runAll();
  }

  /** `wharf once` and start-up: every enabled push once, awaited. */
  async runAll(): Promise<void> {
    await Promise.all([...this.stock.values(), ...this.shipments.values()].map((j) => j.guard.request()));
  }

  /** A stock report was imported for `merchant` (undefined: it may concern any merchant): pushOnChange channels push now. */
  stockChanged(merchant: string | undefined): void {
    for (const j of this.stock.values()) {
      if (j.ch.connector.push.settings.stock.pushOnChange && (merchant === undefined || merchant === j.ch.entry.merchant)) void j.guard.request();
    }
  }

  /** A shipment report was imported: the shipment pushes look at their outbox now. */
  shipmentsChanged(): void {
    for (const j of this.shipments.values()) void j.guard.request();
  }

  /**
   * "Sync now" (the console, issue 11): the push `job` of channel `key` now, through its guard (a run
   * going makes one more run after it, never two at once; another process holding the push lease
   * makes the run a skip, see takePushLease), with its progress. Resolves with the outcome of the
   * last run once the push is idle. Undefined when the channel does not push this (`push.<job>.enabled`
   * off, or the platform has no push).
   */
  runNow(key: string, job: 'stock' | 'shipments', onProgress?: (p: PushProgress) => void): Promise<PushOutcome> | undefined {
    const j = (job === 'stock' ? this.stock : this.shipments).get(key);
    if (!j) return undefined;
    const name = `${key} ${job}`;
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    if (onProgress) set.add(onProgress);
    return j.guard.request().then(() => {
      if (onProgress) set.delete(onProgress);
      return this.outcomes.get(name) ?? { error: 'the push did not run' };
    });
  }

  /** Whether channel `key` pushes `job` (enabled and supported). */
  pushes(key: string, job: 'stock' | 'shipments'): boolean {
    return (job === 'stock' ? this.stock : this.shipments).has(key);
  }

  private progressOf(key: string, job: 'stock' | 'shipments'): (p: PushProgress) => void {
    return (p) => this.listeners.get(`${key} ${job}`)?.forEach((l) => l(p));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers.values()) clearTimeout(t.timer);
    this.retryTimers.clear();
    await this.scheduler.stop();
    await Promise.all([...this.stock.values(), ...this.shipments.values()].map((j) => j.guard.idle()));
  }

  private async stockRun({ entry, connector }: PushChannel): Promise<void> {
    try {
      const progress = this.progressOf(entry.key, 'stock');
      const r = await runStockPush(entry, connector, { store: this.store, logger: this.logger, config: this.config, onProgress: (p) => progress({ done: p.pushed, total: p.changed, unit: 'SKUs' }) });
      this.outcomes.set(`${entry.key} stock`, { result: { skus: r.skus, changed: r.changed, pushed: r.pushed, batches: r.batches, unknown: r.unknown.length, refused: r.refused.length, ...(r.skipped ? { skipped: r.skipped } : {}) } });
      const sink = metricsSink();
      if (sink && !r.skipped) {
        sink.pushRun(entry.merchant, entry.channel, 'stock', true);
        sink.pushed(entry.merchant, entry.channel, 'stock', 'pushed', r.pushed);
        sink.pushed(entry.merchant, entry.channel, 'stock', 'unknown', r.unknown.length);
        sink.pushed(entry.merchant, entry.channel, 'stock', 'refused', r.refused.length);
      }
    } catch (err) {
      metricsSink()?.pushRun(entry.merchant, entry.channel, 'stock', false);
      this.outcomes.set(`${entry.key} stock`, { error: describeError(err) });
      this.logger.error({ merchant: entry.merchant, channel: entry.channel, job: 'stock-push' }, `stock push failed; the SKUs not confirmed are pushed at the next run: ${describeError(err)}`);
    }
  }

  private async shipmentRun({ entry, connector }: PushChannel): Promise<void> {
    try {
      const progress = this.progressOf(entry.key, 'shipments');
      const r = await runShipmentPush(entry, connector, { store: this.store, logger: this.logger, maxBackoffMs: this.config.delivery.maxBackoffMs, onProgress: (p) => progress({ done: p.done + p.failed, total: null, unit: 'shipments' }) });
      this.outcomes.set(`${entry.key} shipments`, { result: { pushed: r.pushed, retry: r.retry, failed: r.failed, ...(r.skipped ? { skipped: r.skipped } : {}) } });
      const sink = metricsSink();
      if (sink && !r.skipped) {
        sink.pushRun(entry.merchant, entry.channel, 'shipment', true);
        sink.pushed(entry.merchant, entry.channel, 'shipment', 'pushed', r.pushed);
        sink.pushed(entry.merchant, entry.channel, 'shipment', 'retry', r.retry);
        sink.pushed(entry.merchant, entry.channel, 'shipment', 'failed', r.failed);
      }
      if (r.nextRetryAt) this.armRetry(entry.key, r.nextRetryAt.getTime());
    } catch (err) {
      metricsSink()?.pushRun(entry.merchant, entry.channel, 'shipment', false);
      this.outcomes.set(`${entry.key} shipments`, { error: describeError(err) });
      this.logger.error({ merchant: entry.merchant, channel: entry.channel, job: 'shipment-push' }, `shipment push failed; it is tried again at its next time: ${describeError(err)}`);
    }
  }

  /**
   * The daemon wakes the shipment push of `key` when its earliest retry is due (`at`, epoch ms), not
   * only at the next `schedules.shipments` tick (as the delivery worker sleeps until its next pass).
   * One timer per channel, kept at the earliest retry known: a later one does not push it back (the
   * run it triggers arms the next). The run goes through the channel's guard: never two at once.
   * `wharf once` (not started) arms nothing.
   */
  private armRetry(key: string, at: number): void {
    if (!this.started || this.stopped) return;
    const armed = this.retryTimers.get(key);
    if (armed && armed.at <= at) return;
    if (armed) clearTimeout(armed.timer);
    const job = this.shipments.get(key);
    if (!job) return;
    // +50 ms: the row's next attempt is strictly before the run's "now" when the timer fires.
    const timer = setTimeout(() => {
      this.retryTimers.delete(key);
      void job.guard.request();
    }, Math.min(Math.max(0, at - Date.now()) + 50, 2 ** 31 - 1));
    this.retryTimers.set(key, { at, timer });
  }
}
