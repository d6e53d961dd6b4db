import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { WharfError } from '../errors.js';
import type { Store } from '../ledger/store.js';

/**
 * One push of one channel at a time, across processes (`wharf sync CHANNEL stock` next to the daemon,
 * two daemons on one PostgreSQL ledger): a lease row in the ledger (`leases`), taken for
 * `LEASE_MS` and renewed as the push goes on (`renew`, e.g. after every batch). A process that dies
 * leaves its lease to run out; then the next push takes it (at once when the dead holder was a
 * process of this host: `wharf run` restarted after `kill -9`). Without it, two stock pushes could
 * interleave send and baseline write (an older quantity recorded as pushed after a newer one was
 * sent), and two shipment pushes on SQLite could send the same outbox row twice.
 */
export const LEASE_MS = 2 * 60_000;
/**
 * `renew` writes the lease again only when this long has passed since the last write (a push renews
 * after every batch, often many per second): the lease then never has less than
 * LEASE_MS - RENEW_AFTER_MS (105 s) left after any renew, and a takeover (possible only once it ran out)
 * is still seen at the first renew after it.
 */
export const RENEW_AFTER_MS = 15_000;

/** Who holds a lease: host, process id and a random part (one process may run several pushes). */
function holderId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Whether `holder` (host:pid:…) names a process of this host that no longer runs. */
function deadHereHolder(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== os.hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface PushLease {
  /**
   * Extends the lease to LEASE_MS from now (a no-op when the last extension is less than
   * RENEW_AFTER_MS old); throws a retryable DELIVERY_CONFLICT when it ran out and another process took
   * it (stop pushing then).
   */
  renew(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the lease of `what` (e.g. `push:acme/woo:stock`). Returns undefined, with `busy` the message
 * for the operator, when another process holds it: the caller skips this run (the other run pushes
 * the same changes; the next run catches up on any left).
 */
export async function takePushLease(store: Store, what: string, now: () => number = Date.now): Promise<{ lease: PushLease } | { busy: string }> {
  const holder = holderId();
  const take = async (at: number) => store.takeLease(what, holder, new Date(at + LEASE_MS).toISOString(), new Date(at).toISOString());
  // When the lease was last taken or extended (it runs until takenAt + LEASE_MS).
  let takenAt = now();
  let first = await take(takenAt);
  // A holder on this host whose process is gone (kill -9, crash) is not waited for.
  if (!first.ok && deadHereHolder(first.holder)) {
    takenAt = now();
    first = await store.takeLease(what, holder, new Date(takenAt + LEASE_MS).toISOString(), new Date(takenAt).toISOString(), first.holder);
  }
  if (!first.ok) {
    return { busy: `${what} is running in another process (${first.holder}, lease until ${first.expiresAt}); this run is skipped — that run pushes the changes, and the next run whatever is left` };
  }
  return {
    lease: {
      async renew() {
        // Taken less than RENEW_AFTER_MS ago: more than LEASE_MS - RENEW_AFTER_MS left, nobody can hold it.
        // (A clock that went back is no reason to wait: the lease is written then.)
        const age = now() - takenAt;
        if (age >= 0 && age < RENEW_AFTER_MS) return;
        const at = now();
        const r = await take(at);
        if (r.ok) takenAt = at;
        else {
          throw new WharfError('DELIVERY_CONFLICT', `${what}: the lease ran out and ${r.holder} took it over; this run stops, the other one goes on`, {}, { retryable: true });
        }
      },
      async release() {
        await store.releaseLease(what, holder).catch(() => undefined);
      },
    },
  };
}
