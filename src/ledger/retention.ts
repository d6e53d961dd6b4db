import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { WharfError } from '../errors.js';
import type { WharfConfig } from '../config/types.js';
import { schemaDefaults } from '../config/schema-facts.js';
import type { PruneCutoffs, PruneTask, Store } from './store.js';

/**
 * The retention policy (config `ledger.retention`, docs/config.md "Retention"): what the ledger lets
 * go of, so that it stays bounded however long it runs. The rules of what may go are the stores'
 * (PruneTask); this module turns the config into cut-off times and walks every table in small steps.
 */
export interface Retention {
  /** Delivered deliveries, finished order bodies, duplicate notes and old export runs go after this many days. */
  bodiesDays: number;
  /** Order ids and content hashes, imported files' rows and notices go after this many days (>= bodiesDays). */
  idsDays: number;
  /** How often the daemon prunes, in ms. */
  intervalMs: number;
  /** Rows looked at per transaction. */
  batch: number;
}

const DAY_MS = 86_400_000;
const defaults = schemaDefaults<NonNullable<NonNullable<WharfConfig['ledger']>['retention']>>('config.schema.json', '/properties/ledger/properties/retention');

/** The config's `ledger.retention` with its defaults (from the schema); throws CONFIG_INVALID when idsDays < bodiesDays. */
export function retentionOf(raw: WharfConfig, file: string): Retention {
  const r = raw.ledger?.retention ?? {};
  const bodiesDays = r.bodiesDays ?? defaults.bodiesDays!;
  const idsDays = r.idsDays ?? defaults.idsDays!;
  if (idsDays < bodiesDays) {
    throw new WharfError('CONFIG_INVALID', `ledger.retention.idsDays (${idsDays}) is less than bodiesDays (${bodiesDays})`, {
      where: file,
      field: 'ledger.retention.idsDays',
      hint: 'ids and content hashes must outlive the bodies (they recognise an order sent again): raise idsDays or lower bodiesDays',
    });
  }
  return { bodiesDays, idsDays, intervalMs: (r.intervalMinutes ?? defaults.intervalMinutes!) * 60_000, batch: r.batch ?? defaults.batch! };
}

/** The cut-off times of `retention` at `now`. */
export function cutoffsAt(retention: Pick<Retention, 'bodiesDays' | 'idsDays'>, now: Date): PruneCutoffs {
  return {
    bodiesBefore: new Date(now.getTime() - retention.bodiesDays * DAY_MS).toISOString(),
    idsBefore: new Date(now.getTime() - retention.idsDays * DAY_MS).toISOString(),
  };
}

/** In this order: deliveries first (they free record bodies), bodies before ids (ids go only after bodies). */
export const PRUNE_TASKS: readonly PruneTask[] = ['outbox', 'bodies', 'records', 'files', 'duplicates', 'exportRuns', 'notices'];

export type PruneCounts = Record<PruneTask, number>;

export interface PruneOptions {
  /** The clock (tests pass a fixed date). */
  now?: Date;
  /** Asked before each step: true ends the pass there (shutdown); the next pass starts over. */
  stop?: () => boolean;
  /** Called after each step with the task and the counts so far (the CLI's progress line). */
  onProgress?: (task: PruneTask, counts: PruneCounts) => void;
}

/**
 * One pass of the policy over the whole ledger: each task's table is walked by primary key, `batch`
 * rows per transaction, and the event loop is given back between transactions (SQLite: an intake
 * waiting for the store's mutex goes first; PostgreSQL: locks are held for one batch only), so intake
 * and deliveries never wait for more than one batch. Returns how many rows each task changed.
 * Throws what the store throws (LEDGER_FAILED).
 */
export async function prune(store: Store, retention: Pick<Retention, 'bodiesDays' | 'idsDays' | 'batch'>, options: PruneOptions = {}): Promise<PruneCounts> {
  const cutoffs = cutoffsAt(retention, options.now ?? new Date());
  const counts = Object.fromEntries(PRUNE_TASKS.map((t) => [t, 0])) as PruneCounts;
  for (const task of PRUNE_TASKS) {
    let after: string | number | null = null;
    do {
      if (options.stop?.()) return counts;
      const step = await store.pruneStep(task, after, cutoffs, retention.batch);
      counts[task] += step.changed;
      after = step.next;
      options.onProgress?.(task, counts);
      await yieldToOthers();
    } while (after !== null);
  }
  return counts;
}

/** "delivered deliveries 1200, order bodies 800, …" for log and progress lines. */
export function describeCounts(c: PruneCounts): string {
  return `delivered deliveries ${c.outbox}, order/shipment bodies ${c.bodies}, expired order ids ${c.records}, file rows ${c.files}, duplicate notes ${c.duplicates}, export runs ${c.exportRuns}, notices ${c.notices}`;
}
