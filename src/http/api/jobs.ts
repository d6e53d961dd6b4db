import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JobState } from '../../daemon/jobs.js';
import type { SyncRequest } from '../../daemon/gateway.js';
import type { HttpRoutes } from '../server.js';
import { notFound } from './shared.js';

const JOBS = ['orders', 'products', 'stock', 'shipments'] as const;

const startBody = {
  type: 'object',
  properties: {
    channel: { type: 'string', minLength: 1, maxLength: 200 },
    job: { type: 'string', enum: [...JOBS] },
    export: { type: 'string', minLength: 3, maxLength: 200, pattern: '^[^/]+/[^/]+$' },
  },
  additionalProperties: false,
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^j-[0-9a-f]{12}$' } } } as const;

/**
 * "Sync now" (issue 11 §4), run by the daemon (Gateway.syncNow, src/daemon/jobs.ts):
 * - `POST /api/jobs` `{ channel: "merchant/channel" | "@warehouse/<name>", job: "orders"|"products"|"stock"|"shipments" }`
 *   or `{ export: "<merchant>/<export>" }` → 202 with the new job, or 200 with the job of the same
 *   target and kind that is running already (`created` false); 404 unknown channel or export, 400
 *   not a job of that channel, 409 the daemon is stopping.
 * - `GET /api/jobs` the recent jobs, newest first; `GET /api/jobs/:id` one job (JobState).
 * - `GET /api/jobs/:id/events` server-sent events: `progress` with the job at once (also for a job
 *   that has ended: its final state) and at each change, then one `end` with its final state, and the
 *   stream closes.
 */
export const jobRoutes: HttpRoutes = async (app, deps) => {
  app.post<{ Body: { channel?: string; job?: (typeof JOBS)[number]; export?: string } }>('/api/jobs', { schema: { body: startBody } }, async (request, reply) => {
    const b = request.body;
    let req: SyncRequest;
    if (b.export !== undefined && b.channel === undefined && b.job === undefined) req = { export: b.export };
    else if (b.channel !== undefined && b.job !== undefined && b.export === undefined) req = { channel: b.channel, job: b.job };
    else return reply.code(400).send({ error: 'bad request', message: 'give either { "channel": "merchant/channel", "job": "orders|products|stock|shipments" } or { "export": "merchant/export" }' });
    const r = deps.gateway.syncNow(req);
    if ('status' in r) return reply.code(r.status).send({ error: r.status === 404 ? 'not found' : r.status === 409 ? 'conflict' : 'bad request', message: r.message });
    return reply.code(r.created ? 202 : 200).send({ ...r.job, created: r.created, events: `/api/jobs/${r.job.id}/events` });
  });

  app.get('/api/jobs', async () => ({ jobs: deps.gateway.jobs.list() }));

  app.get<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: idParams } }, async (request, reply) => {
    const job = deps.gateway.jobs.get(request.params.id);
    return job ?? reply.code(404).send(notFound(`no job ${request.params.id} (jobs are kept in memory until the daemon restarts)`));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id/events', { schema: { params: idParams } }, async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const job = deps.gateway.jobs.get(request.params.id);
    if (!job) return reply.code(404).send(notFound(`no job ${request.params.id}`));
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: 'progress' | 'end', j: JobState) => res.write(`event: ${event}\ndata: ${JSON.stringify(j)}\n\n`);
    // Every stream starts with the job's state as it is now, so a late subscriber sees the result too.
    send('progress', job);
    if (job.state !== 'running') {
      send('end', job);
      res.end();
      return;
    }
    const stop = deps.gateway.jobs.subscribe(job.id, (j) => {
      if (j.state === 'running') send('progress', j);
      else {
        send('end', j);
        stop();
        res.end();
      }
    });
    // A comment line now and then keeps proxies from closing a quiet stream.
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    const close = () => {
      clearInterval(ping);
      stop();
    };
    res.on('close', close);
  });
};
