import { WharfError } from '../errors.js';
import type { Store } from '../ledger/store.js';
import { describeHolder, takeLease } from '../schedule/lease.js';

/**
 * One push of one channel at a time, across processes (`wharf sync CHANNEL stock` next to the daemon,
 * two daemons on one PostgreSQL ledger): the ledger lease of src/schedule/lease.ts. Without it, two
 * stock pushes could interleave send and baseline write (an older quantity recorded as pushed after a
 * newer one was sent), and two shipment pushes on SQLite could send the same outbox row twice.
 */
export { LEASE_MS, RENEW_AFTER_MS } from '../schedule/lease.js';

export interface PushLease {
  /**
   * Extends the lease (see Lease.renew); throws a retryable DELIVERY_CONFLICT when it ran out and
   * another process took it (stop pushing then).
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
  const taken = await takeLease(store, what, now);
  if ('busy' in taken) {
    return { busy: `${what} is running in ${describeHolder(taken.busy)}; this run is skipped — that run pushes the changes, and the next run whatever is left` };
  }
  const { lease } = taken;
  return {
    lease: {
      async renew() {
        const other = await lease.renew();
        if (other) throw new WharfError('DELIVERY_CONFLICT', `${what}: the lease ran out and ${describeHolder(other)} took it over; this run stops, the other one goes on`, {}, { retryable: true });
      },
      release: () => lease.release(),
    },
  };
}
