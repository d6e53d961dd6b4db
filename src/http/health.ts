import type { HttpRoutes } from './server.js';
import { readiness } from '../observe/readiness.js';
import { readinessOf } from '../config/http.js';

/**
 * `GET /readyz` (token required): 200 `{"status":"ready",…}` when the ledger answers, no channel job
 * is silent and no export is overdue, else 503 `{"status":"not ready","reasons":[…],…}`; `checks`
 * lists every check (src/observe/readiness.ts, docs/operations.md "Readiness"). /healthz (process
 * up, no token) is part of the server itself (src/http/server.ts).
 */
export const healthRoutes: HttpRoutes = async (app, deps) => {
  const settings = deps.config.http?.readiness ?? readinessOf(deps.config.raw);
  app.get('/readyz', async (_request, reply) => {
    const { gateway } = deps;
    const r = await readiness({ store: deps.store, jobs: gateway.activity.list(), startedAt: gateway.activity.startedAt, exports: deps.config.exports, settings });
    const reasons = r.checks.filter((c) => !c.ok).map((c) => c.reason ?? c.check);
    return reply.code(r.ready ? 200 : 503).header('cache-control', 'no-store').send({ status: r.ready ? 'ready' : 'not ready', reasons, checks: r.checks });
  });
};
