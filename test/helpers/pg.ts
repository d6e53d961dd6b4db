/**
 * PostgreSQL for ledger tests: every call to `createPgSchema()` makes a fresh, empty schema
 * `wharf_test_<random>` in the server named by `WHARF_TEST_PG_URL` (default: the machine's local
 * server, trust auth, database `test`), and returns a URL whose `search_path` is that schema only, so
 * the store under test creates its tables there. `drop()` removes the schema with everything in it.
 *
 * These tests never skip: CI always runs them. An unreachable server fails the test with a message
 * that says what to start or set.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_TEST_URL = process.env.WHARF_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PgTestSchema {
  /** Connection URL with `options=-c search_path=<schema>`. */
  url: string;
  schema: string;
  /** Runs SQL inside the schema (for assertions and for provoking situations). */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** The URL without credentials or query, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable WHARF_TEST_PG_URL)';
  }
}

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  // Also the session's application_name, so a test can find its own sessions in pg_stat_activity.
  u.searchParams.set('application_name', schema);
  return u.toString();
}

async function adminClient(url = PG_TEST_URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL ledger tests need a server at ${shown(url)} but cannot connect: ${(err as Error).message}. ` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point WHARF_TEST_PG_URL at one. ' +
        'These tests are not skipped on purpose: CI always runs them.',
    );
  }
  return client;
}

export async function createPgSchema(): Promise<PgTestSchema> {
  const schema = `wharf_test_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = withSearchPath(PG_TEST_URL, schema);
  return {
    url,
    schema,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      const c = await adminClient(url);
      try {
        return (await c.query<R>(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    async drop() {
      const c = await adminClient();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Waits (with a deadline, no fixed sleep) until some session on this schema's URL is blocked on a
 * lock: the observable proof that a second instance is waiting for the first one's transaction.
 */
export async function waitForLockWait(schema: string, timeoutMs = 10_000): Promise<void> {
  const c = await adminClient();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = $1`,
        [schema],
      );
      if ((rows[0] as { n: number }).n > 0) return;
      if (Date.now() > deadline) throw new Error('no ledger session started waiting for a lock in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await c.end();
  }
}
