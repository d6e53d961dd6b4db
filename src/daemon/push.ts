import type { ChannelConnector } from '../connectors/index.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import { runShipmentPush } from '../push/shipments.js';
import { runStockPush } from '../push/stock.js';
import { Scheduler } from '../schedule/cron.js';

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
  private readonly scheduler: Scheduler;

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

  async stop(): Promise<void> {
    await this.scheduler.stop();
    await Promise.all([...this.stock.values(), ...this.shipments.values()].map((j) => j.guard.idle()));
  }

  private async stockRun({ entry, connector }: PushChannel): Promise<void> {
    try {
      await runStockPush(entry, connector, { store: this.store, logger: this.logger, config: this.config });
    } catch (err) {
      this.logger.error({ merchant: entry.merchant, channel: entry.channel, job: 'stock-push' }, `stock push failed; the SKUs not confirmed are pushed at the next run: ${describeError(err)}`);
    }
  }

  private async shipmentRun({ entry, connector }: PushChannel): Promise<void> {
    try {
      await runShipmentPush(entry, connector, { store: this.store, logger: this.logger, maxBackoffMs: this.config.delivery.maxBackoffMs });
    } catch (err) {
      this.logger.error({ merchant: entry.merchant, channel: entry.channel, job: 'shipment-push' }, `shipment push failed; it is tried again at its next time: ${describeError(err)}`);
    }
  }
}
