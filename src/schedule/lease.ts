import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Store } from '../ledger/store.js';

/**
 * One run of a job at a time across processes (the daemon's scheduled pull next to `wharf sync`, two
 * daemons on one PostgreSQL ledger): a lease row in the ledger (`leases`, SQLite and PostgreSQL alike),
 * taken for LEASE_MS and renewed as the run goes on (`renew`, e.g. after every page or batch). A
 * process that dies leaves its lease to run out; the next run then takes it — at once when the dead
 * holder was a process of this host (`kill -9`, a crash: its pid no longer runs), after at most
 * LEASE_MS when it ran on another host.
 */
export const LEASE_MS = 2 * 60_000;
/**
 * `renew` writes the lease again only when this long has passed since the last write (a run renews
 * after every batch, often many per second): the lease then never has less than
 * LEASE_MS - RENEW_AFTER_MS (105 s) left after any renew, and a takeover (possible only once it ran out)
 * is still seen at the first renew after it.
 */
export const RENEW_AFTER_MS = 15_000;

/** What this process is, as lease holders name it (`run` for the daemon, `sync`, `once`, …). */
let role = 'wharf';

/** Names this process in the leases it takes from now on: the CLI verb (`run`, `sync`, `once`). */
export function setLeaseRole(verb: string): void {
  role = verb.replace(/[^A-Za-z0-9-]/g, '') || 'wharf';
}

/** Who holds a lease, read back from its holder string. */
export interface LeaseHolder {
  host: string;
  pid: number;
  /** The CLI verb of the holding process (`run`: the daemon), when the holder says it. */
  role?: string;
  /** When the holder took the lease (ISO 8601 UTC), when the holder says it. */
  since?: string;
  /** Until when the lease runs unless renewed (ISO 8601 UTC). */
  expiresAt: string;
  /** The holder string as the ledger has it. */
  raw: string;
}

/**
 * A holder string: `host:pid:random:role@since` (one process may run several jobs; older versions
 * wrote `host:pid:random`, which parseHolder also reads).
 */
function holderId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}:${role}@${new Date().toISOString()}`;
}

/** The holder string of a lease as a LeaseHolder (host '' and pid 0 when it is not one of ours). */
export function parseHolder(holder: string, expiresAt: string): LeaseHolder {
  const m = /^([^:]*):(\d+):[^:]*(?::([A-Za-z0-9-]+)@(.+))?$/.exec(holder);
  if (!m) return { host: '', pid: 0, expiresAt, raw: holder };
  return { host: m[1]!, pid: Number(m[2]), ...(m[3] ? { role: m[3], since: m[4] } : {}), expiresAt, raw: holder };
}

/** "the running daemon (pid 4711) since 10:02:03 UTC" / "wharf sync (pid 4711 on host-b) since …", for messages. */
export function describeHolder(h: LeaseHolder): string {
  if (h.pid === 0) return `another process (${h.raw}), lease until ${h.expiresAt}`;
  const where = h.host !== os.hostname() ? ` on ${h.host}` : '';
  const who = h.role === 'run' ? `the running daemon (pid ${h.pid}${where})`
    : h.role && h.role !== 'wharf' ? `\`wharf ${h.role}\` (pid ${h.pid}${where})`
    : `another process (pid ${h.pid}${where})`;
  return h.since ? `${who} since ${h.since}` : `${who}, lease until ${h.expiresAt}`;
}

/** Whether `h` names a process of this host that no longer runs. */
function deadHere(h: LeaseHolder): boolean {
  if (h.host !== os.hostname() || h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface Lease {
  /**
   * Extends the lease to LEASE_MS from now (a no-op when the last extension is less than
   * RENEW_AFTER_MS old); resolves with the new holder when it ran out and another process took it
   * (the caller stops then), undefined while it holds it.
   */
  renew(): Promise<LeaseHolder | undefined>;
  /** Gives the lease up (never throws: a lease not given up runs out). */
  release(): Promise<void>;
}

/**
 * Takes the lease `name` (e.g. `pull:acme/woo:orders`, `push:acme/woo:stock`) in the ledger. Returns
 * `{ busy }` with who holds it when another live process does (or did, and its lease has not run out).
 * Throws what the store throws.
 */
export async function takeLease(store: Store, name: string, now: () => number = Date.now): Promise<{ lease: Lease } | { busy: LeaseHolder }> {
  const holder = holderId();
  const take = async (at: number, replacing?: string) => store.takeLease(name, holder, new Date(at + LEASE_MS).toISOString(), new Date(at).toISOString(), replacing);
  // When the lease was last taken or extended (it runs until takenAt + LEASE_MS).
  let takenAt = now();
  let first = await take(takenAt);
  // A holder on this host whose process is gone (kill -9, crash) is not waited for.
  if (!first.ok && deadHere(parseHolder(first.holder, first.expiresAt))) {
    takenAt = now();
    first = await take(takenAt, first.holder);
  }
  if (!first.ok) return { busy: parseHolder(first.holder, first.expiresAt) };
  return {
    lease: {
      async renew() {
        // Taken less than RENEW_AFTER_MS ago: more than LEASE_MS - RENEW_AFTER_MS left, nobody can hold it.
        // (A clock that went back is no reason to wait: the lease is written then.)
        const age = now() - takenAt;
        if (age >= 0 && age < RENEW_AFTER_MS) return undefined;
        const at = now();
        const r = await take(at);
        if (r.ok) {
          takenAt = at;
          return undefined;
        }
        return parseHolder(r.holder, r.expiresAt);
      },
      async release() {
        await store.releaseLease(name, holder).catch(() => undefined);
      },
    },
  };
}
