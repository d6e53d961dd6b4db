import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLES, killAllDaemons, waitFor, wharf, workspacesPerTest, type Workspace } from '../helpers/e2e.js';
import { Scrape } from '../helpers/metrics.js';
import { startHttpDaemon } from '../helpers/http.js';
import { wooShopWithOrders } from '../helpers/webshops/woocommerce.js';

/**
 * The console's JSON API (issue 11 §4) against a real `wharf run`: a file's journey, an order's page,
 * sync now with live progress, the mapping preview, the token, and one merchant's data never under
 * another's path.
 */
const workspace = workspacesPerTest();
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllDaemons();
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A second merchant `other` with a folder channel of its own (for the isolation checks). */
function otherMerchant(ws: Workspace): Record<string, Record<string, unknown>> {
  const inbox = path.join(ws.root, 'other-inbox');
  mkdirSync(inbox, { recursive: true });
  return {
    other: {
      name: 'Other merchant',
      channels: { shop: { type: 'folder', path: inbox, files: [{ pattern: '*.json', mapping: 'demo-orders-json' }], minAge: 0.2, pollInterval: 0.25 } },
      exports: { stock: { schedule: '0 0 1 1 *', destination: { type: 'folder', path: path.join(ws.root, 'other-out') }, mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd-HHmmss}.csv', writeEmpty: true } },
    },
  };
}

async function json<T = Record<string, unknown>>(r: Response | Promise<Response>): Promise<{ status: number; body: T }> {
  const res = await r;
  return { status: res.status, body: (await res.json()) as T };
}

interface Delivery { id: number; type: string; destination: string; state: string; attempts: number; fileName: string | null }
interface Journey {
  file: { id: number; traceId: string; name: string; merchant: string; channel: string; size: number; sha256: string; status: string };
  read: { outcome: string; records: number; invalid: number; error: string | null };
  records: { recordId: string; kind: string; externalId: string | null; outcome: string; order?: string; deliveries: Delivery[] }[];
  invalid: { errors: { record?: number; line?: number; field?: string; message: string }[] } | null;
  deliveries: Delivery[];
  location: { place: string; path?: string; folder?: string; retriedAs?: number | null };
  related: { relation: string; id: number; status: string; journey: string }[];
}

describe('the console API', () => {
  it('shows a dropped file\'s journey and its orders, by id or trace id, and never under another merchant', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws, {}, undefined, { extraMerchants: otherMerchant(ws) });
    copyFileSync(path.join(SAMPLES, 'orders.json'), path.join(ws.inbox, 'orders-1.json'));

    // Wait for the journey to show every delivery done (the file's receipt comes first, then the delivery).
    const done = await waitFor(async () => {
      const r = await h.get('/api/files/1/journey');
      if (r.status !== 200) return undefined;
      const j = (await r.json()) as Journey;
      return j.deliveries.length > 0 && j.deliveries.every((d) => d.state === 'done') ? j : undefined;
    }, { what: 'the file\'s deliveries to be done', daemon: h.daemon });
    expect(done.file).toMatchObject({ id: 1, name: 'orders-1.json', merchant: 'demo', channel: 'dropbox', status: 'imported' });
    expect(done.file.size).toBe(readFileSync(path.join(SAMPLES, 'orders.json')).length);
    expect(done.file.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.read).toMatchObject({ outcome: 'imported', records: 3, invalid: 0 });
    expect(done.records).toHaveLength(3);
    expect(done.records.every((r) => r.kind === 'order' && r.outcome === 'new')).toBe(true);
    expect(done.records.map((r) => r.externalId)).toContain('5012');
    // 5014 is cancelled in the file: it owes the warehouse nothing (never sent, nothing to cancel).
    expect(done.records.find((r) => r.externalId === '5014')).toMatchObject({ outcome: 'new', deliveries: [] });
    for (const r of done.records.filter((x) => x.externalId !== '5014')) {
      expect(r.deliveries).toHaveLength(1);
      expect(r.deliveries[0]).toMatchObject({ type: 'delivery', destination: 'warehouse.orders', state: 'done', attempts: 1 });
      expect(ws.warehouseFiles()).toContain(r.deliveries[0]!.fileName);
    }
    expect(done.location).toMatchObject({ place: 'archive' });
    expect(done.invalid).toBeNull();

    // The same journey by its trace id (the id in every log line of the file).
    const byTrace = await json<Journey>(h.get(`/api/files/${done.file.traceId}/journey`));
    expect(byTrace.status).toBe(200);
    expect(byTrace.body.file.id).toBe(1);

    // An order's page: where it came from, its body, its delivery.
    const order = done.records.find((r) => r.externalId === '5012')!;
    expect(order.order).toBe(`/api/merchants/demo/orders/${encodeURIComponent(order.recordId)}`);
    const page = await json<{ order: { id: string; externalId: string; body: Record<string, unknown> }; origin: Record<string, unknown>; deliveries: Delivery[]; shipments: unknown[] }>(h.get(order.order!));
    expect(page.status).toBe(200);
    expect(page.body.order).toMatchObject({ id: 'demo:dropbox:5012', externalId: '5012' });
    expect(page.body.order.body).toMatchObject({ id: 'demo:dropbox:5012', merchant: 'demo', externalId: '5012' });
    expect(page.body.origin).toMatchObject({ merchant: 'demo', channel: 'dropbox', channelType: 'folder', via: 'file', traceId: done.file.traceId, file: { id: 1, name: 'orders-1.json' } });
    expect(page.body.deliveries).toEqual([expect.objectContaining({ destination: 'warehouse.orders', state: 'done', action: 'order' })]);
    expect(page.body.shipments).toEqual([]);
    const unscoped = await json(h.get(`/api/orders/${encodeURIComponent('demo:dropbox:5012')}`));
    expect(unscoped.status).toBe(200);

    // Another merchant's path: 404 for demo's order and file, as for one that does not exist.
    const foreign = await json<{ error: string }>(h.get(`/api/merchants/other/orders/${encodeURIComponent('demo:dropbox:5012')}`));
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain('5012"');
    expect((await h.get(`/api/merchants/other/files/1/journey`)).status).toBe(404);
    expect((await h.get(`/api/merchants/other/files/${done.file.traceId}/journey`)).status).toBe(404);
    expect((await h.get(`/api/merchants/demo/files/1/journey`)).status).toBe(200);
    expect((await h.get(`/api/orders/${encodeURIComponent('demo:dropbox:nope')}`)).status).toBe(404);
    expect((await h.get('/api/files/999/journey')).status).toBe(404);

    // Sync now of a merchant export: run for now, the file written.
    const exp = await json<{ id: string; created: boolean }>(h.get('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ export: 'other/stock' }) }));
    expect(exp.status).toBe(202);
    const exported = await waitFor(async () => {
      const s = await json<{ state: string; job: string; target: string; result: { outcome: string; fileName: string; items: number } }>(h.get(`/api/jobs/${exp.body.id}`));
      return s.body.state !== 'running' ? s.body : undefined;
    }, { what: 'the export job to end', daemon: h.daemon });
    expect(exported).toMatchObject({ state: 'done', job: 'export', target: 'other/stock', result: { outcome: 'written', items: 0 } });
    expect(readdirSync(path.join(ws.root, 'other-out'))).toEqual([exported.result.fileName]);
    // ... and counted once in /metrics (the run went through the export scheduler).
    const metrics = new Scrape(await (await h.get('/metrics')).text());
    expect(metrics.value('wharf_export_runs_total', { merchant: 'other', kind: 'stock', outcome: 'written' })).toBe(1);

    // The token is required for every API route.
    for (const p of ['/api/files/1/journey', `/api/orders/${encodeURIComponent('demo:dropbox:5012')}`, '/api/mappings', '/api/jobs']) {
      expect((await h.get(p, { auth: false })).status).toBe(401);
    }
    expect((await h.get('/api/jobs', { auth: false, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'demo/dropbox', job: 'orders' }) })).status).toBe(401);
    await h.daemon.stop();
  });

  it('shows a quarantined file\'s journey with its errors and where it went', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    copyFileSync(path.join(SAMPLES, 'broken', 'orders-broken.json'), path.join(ws.inbox, 'orders-broken.json'));
    const j = await waitFor(async () => {
      const r = await h.get('/api/files/1/journey');
      return r.status === 200 ? ((await r.json()) as Journey) : undefined;
    }, { what: 'the quarantined file in the ledger', daemon: h.daemon });
    expect(j.file).toMatchObject({ name: 'orders-broken.json', status: 'quarantined' });
    expect(j.read.outcome).toBe('quarantined');
    expect(j.read.error).toBeTruthy();
    expect(j.location.place).toBe('quarantine');
    expect(j.location.path).toContain(ws.quarantine);
    expect(j.records).toEqual([]);
    expect(j.deliveries).toEqual([]);
    expect(j.invalid?.errors.length).toBeGreaterThan(0);
    expect(j.invalid!.errors[0]!.message).toBeTruthy();
    expect(j.invalid!.errors).toEqual(ws.report('orders-broken.json').errors);

    // Fixed in place and retried: a new file row with a trace id of its own; the two journeys link each other.
    copyFileSync(path.join(SAMPLES, 'orders.json'), j.location.path!);
    const retried = await h.get('/quarantine/1/retry', { method: 'POST', headers: { origin: h.url } });
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe('/quarantine?done=retried&file=1&as=2');
    const old = (await json<Journey>(h.get('/api/files/1/journey'))).body;
    const retry = (await json<Journey>(h.get('/api/files/2/journey'))).body;
    expect(retry.file.traceId).not.toBe(old.file.traceId);
    expect(old.location).toEqual({ place: 'retried', retriedAs: 2 });
    expect(old.related).toEqual([expect.objectContaining({ relation: 'retriedAs', id: 2, status: 'imported', journey: '/api/merchants/demo/files/2/journey' })]);
    expect(retry.related).toEqual([expect.objectContaining({ relation: 'retryOf', id: 1, status: 'retried', journey: '/api/merchants/demo/files/1/journey' })]);
    expect(retry.location.place).toBe('archive');
    // The console pages say so, with links both ways.
    const oldPage = await (await h.get('/files/1')).text();
    expect(oldPage).toMatch(/Retried as <a href="\/files\/2">file 2<\/a>/);
    expect(oldPage).toMatch(/Retried from the quarantine: <a href="\/files\/2">file 2<\/a> is the retry/);
    expect(await (await h.get('/files/2')).text()).toMatch(/the retry of <a href="\/files\/1">file 1<\/a>/);
    expect(await (await h.get('/quarantine/1')).text()).toMatch(/retried as <a href="\/files\/2">file 2<\/a>/);
    await h.daemon.stop();
  });

  it('previews a mapping on pasted content: the canonical records, or the errors; lists the mappings', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    const post = (body: unknown) => json<Record<string, unknown>>(h.get('/api/preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));

    const ok = await post({ mapping: 'demo-orders-json', content: readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8'), fileName: 'orders.json' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ mapping: 'demo-orders-json', kind: 'order', format: 'json', valid: true, read: 3, invalid: 0, recordsShown: 3, errors: [] });
    expect((ok.body.records as { externalId: string; source: { name: string } }[])[0]).toMatchObject({ externalId: '5012', source: { name: 'orders.json' } });

    const bad = await post({ mapping: 'demo-orders-json', content: readFileSync(path.join(SAMPLES, 'broken', 'orders-broken.json'), 'utf8') });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    const errors = bad.body.errors as { record?: number; field?: string; message: string }[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => typeof e.record === 'number' && typeof e.field === 'string')).toBe(true);

    // Thousands of bad records: the first 500 errors, and how many there are.
    const many = JSON.stringify({ orders: Array.from({ length: 1200 }, (_, i) => ({ id: i, number: `BAD-${i}` })) });
    const capped = await post({ mapping: 'demo-orders-json', content: many });
    expect(capped.status).toBe(200);
    expect((capped.body.errors as unknown[]).length).toBe(500);
    expect(capped.body.errorsTotal as number).toBeGreaterThanOrEqual(1200);

    const notJson = await post({ mapping: 'demo-orders-json', content: '{"orders": [' });
    expect(notJson.status).toBe(200);
    expect(notJson.body).toMatchObject({ valid: false, unreadable: true });

    const unknown = await post({ mapping: 'no-such-mapping', content: 'x' });
    expect(unknown.status).toBe(404);
    // The missing file named once; only the mappings the preview takes are offered (no output mapping).
    const message = unknown.body.message as string;
    expect(message.match(/no-such-mapping\.yaml/g)).toHaveLength(1);
    expect(message).toMatch(/input mappings: .*demo-orders-json/);
    expect(message).not.toContain('warehouse-orders-csv');
    expect((await post({ mapping: '../etc/passwd', content: 'x' })).status).toBe(400);
    expect((await post({ mapping: 'warehouse-orders-csv', content: 'x' })).status).toBe(400);
    expect((await post({ content: 'x' })).status).toBe(400);

    const list = await json<{ mappings: { name: string; direction?: string; kind?: string; format?: string }[] }>(h.get('/api/mappings'));
    expect(list.status).toBe(200);
    expect(list.body.mappings).toContainEqual({ name: 'demo-orders-json', direction: 'input', kind: 'order', format: 'json' });
    expect(list.body.mappings).toContainEqual({ name: 'warehouse-orders-csv', direction: 'output', kind: 'order', format: 'csv' });
    await h.daemon.stop();
  });

  it('runs large previews off the main thread: /healthz answers while they run; the result is what wharf map prints', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws, { bodyLimit: 16 << 20 });
    // ~6 MiB of orders: seconds of parsing, mapping and checking per preview.
    const sample = (JSON.parse(readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8')) as { orders: Record<string, unknown>[] }).orders;
    const orders = Array.from({ length: 5000 }, (_, i) => ({ ...sample[i % sample.length], id: 100_000 + i, number: String(100_000 + i) }));
    const file = path.join(ws.root, 'big-orders.json');
    writeFileSync(file, JSON.stringify({ orders }, null, 2));
    const body = JSON.stringify({ mapping: 'demo-orders-json', content: readFileSync(file, 'utf8'), fileName: 'big-orders.json' });
    const u = new URL(h.url);

    // Three previews, each body sent in full before /healthz is asked (node:http tells when it is).
    const answered: string[] = [];
    const sent: Promise<void>[] = [];
    const previews = [0, 1, 2].map((i) => new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path: '/api/preview', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.token}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
          answered.push(`preview ${i}`);
          resolve({ status: res.statusCode ?? 0, text });
        });
      });
      req.on('error', reject);
      sent.push(new Promise<void>((done) => req.end(body, done)));
    }));
    await Promise.all(sent);
    // /healthz, one request after the other, until the first preview has answered: the main thread
    // must keep answering while the previews are worked on (before: not one answer in between).
    let healthy = 0;
    while (answered.length === 0) {
      const r = await h.get('/healthz', { auth: false });
      expect(r.status).toBe(200);
      await r.text();
      if (answered.length === 0) healthy++;
    }
    const results = await Promise.all(previews);
    expect(healthy).toBeGreaterThanOrEqual(5);
    for (const r of results) expect(r.status).toBe(200);
    const preview = JSON.parse(results[0]!.text) as { valid: boolean; read: number; recordsShown: number; errorsTotal: number; records: Record<string, unknown>[] };
    expect(preview).toMatchObject({ valid: true, read: 5000, recordsShown: 500, errorsTotal: 0 });

    // The same records as `wharf map` prints for the file (but for when it was received: the file's
    // mtime there, the moment of the preview here).
    const cli = await wharf(['map', file, '--mapping', 'demo-orders-json', '--config', ws.configPath]);
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout) as Record<string, unknown>[];
    expect(printed).toHaveLength(5000);
    const unstamped = (r: Record<string, unknown>) => ({ ...r, source: { ...(r.source as object), receivedAt: 'x' } });
    expect(preview.records.map(unstamped)).toEqual(printed.slice(0, 500).map(unstamped));
    await h.daemon.stop();
  });

  it('syncs a webshop channel now: one job for two requests, live progress to the end over SSE', async () => {
    const KEY = 'ck_1111111111111111111111111111111111111111';
    const SECRET = 'cs_2222222222222222222222222222222222222222';
    const { server, channel } = await wooShopWithOrders(150, KEY, SECRET, { push: { shipments: { enabled: true } } });
    cleanup.push(() => server.stop());
    const ws = await workspace();
    const h = await startHttpDaemon(ws, {}, { WOO_KEY: KEY, WOO_SECRET: SECRET }, {
      extraChannels: { woo: channel },
    });
    const start = (body: unknown) => json<{ id: string; created: boolean; state: string; events: string; error?: string; message?: string }>(
      h.get('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    );

    // The first page's answer is held: the job is running while the second request comes.
    server.holdAnswerNext(1, { pathIncludes: '/orders' });
    const first = await start({ channel: 'demo/woo', job: 'orders' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ created: true, state: 'running' });
    await waitFor(() => server.held.length === 1, { what: 'the pull to ask for the first page', daemon: h.daemon });
    const second = await start({ channel: 'demo/woo', job: 'orders' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, created: false, state: 'running' });

    const events = await h.get(first.body.events);
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    server.releaseHeld();
    const text = await readSse(events, 30_000);
    const parsed = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1]!, job: JSON.parse(m[2]!) as { state: string; progress: { done: number; total: number | null }; result: Record<string, number> } }));
    expect(parsed[0]!.event).toBe('progress');
    const end = parsed.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.job.state).toBe('done');
    expect(end.job.progress).toMatchObject({ done: 150, total: 150 });
    expect(end.job.result).toMatchObject({ records: 150, new: 150, pages: 2 });
    // One pull for both requests: two pages asked for, the first (no modified_after yet) once.
    expect(server.hits('/orders')).toHaveLength(2);
    expect(server.hits('/orders').filter((r) => !r.query.has('modified_after'))).toHaveLength(1);

    const state = await json<{ state: string; result: Record<string, number> }>(h.get(`/api/jobs/${first.body.id}`));
    expect(state.body).toMatchObject({ state: 'done', result: { new: 150 } });
    // A finished job's event stream gives its final state at once, then ends.
    const again = await readSse(await h.get(first.body.events), 5_000);
    const late = [...again.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1]!, job: JSON.parse(m[2]!) as { state: string; result: Record<string, number> } }));
    expect(late.map((e) => e.event)).toEqual(['progress', 'end']);
    expect(late[0]!.job).toMatchObject({ state: 'done', result: { records: 150, new: 150 } });

    // Refusals: an unknown channel, a job the channel lacks, a malformed request.
    expect((await start({ channel: 'demo/nope', job: 'orders' })).status).toBe(404);
    expect((await start({ channel: 'demo/dropbox', job: 'products' })).status).toBe(400);
    expect((await start({ channel: 'demo/woo', job: 'stock' })).status).toBe(400); // push.stock is off

    // The shipment push (on): through its guard and lease; nothing owed, nothing pushed.
    const runsOf = async () => new Scrape(await (await h.get('/metrics')).text()).value('wharf_push_runs_total', { merchant: 'demo', channel: 'woo', kind: 'shipment', outcome: 'ok' }) ?? 0;
    const runsBefore = await runsOf();
    const push = await start({ channel: 'demo/woo', job: 'shipments' });
    expect(push.status).toBe(202);
    const pushed = await waitFor(async () => {
      const s = await json<{ state: string; result: Record<string, unknown> }>(h.get(`/api/jobs/${push.body.id}`));
      return s.body.state !== 'running' ? s.body : undefined;
    }, { what: 'the shipment push job to end', daemon: h.daemon });
    expect(pushed).toMatchObject({ state: 'done', result: { pushed: 0, failed: 0, retry: 0 } });
    // Counted in /metrics: one more ok run, nothing pushed.
    expect(await runsOf()).toBe(runsBefore + 1);
    expect(new Scrape(await (await h.get('/metrics')).text()).value('wharf_pushes_total', { merchant: 'demo', channel: 'woo', kind: 'shipment', outcome: 'pushed' }) ?? 0).toBe(0);
    expect((await start({ channel: 'demo/woo', job: 'dance' })).status).toBe(400);
    expect((await start({ export: 'demo/stock' })).status).toBe(404);
    expect((await h.get('/api/jobs/j-000000000000')).status).toBe(404);

    // A file channel's sync: the next poll of its loop, with its outcome.
    const poll = await start({ channel: 'demo/dropbox', job: 'orders' });
    expect(poll.status).toBe(202);
    const polled = await waitFor(async () => {
      const s = await json<{ state: string; result: Record<string, number>; progress: { text: string } }>(h.get(`/api/jobs/${poll.body.id}`));
      return s.body.state !== 'running' ? s.body : undefined;
    }, { what: 'the file channel poll to finish', daemon: h.daemon });
    expect(polled).toMatchObject({ state: 'done', result: { files: 0, pending: 0 }, progress: { text: 'no file ready: the channel has no new file' } });
    // No answer carries a secret.
    expect(JSON.stringify(end)).not.toContain(SECRET);
    await h.daemon.stop();
  });
});

describe('sync now says what it did', () => {
  it('a poll whose files are younger than minAge says they wait for it; an export says the file it wrote; a late event stream gets the result', async () => {
    const ws = await workspace({ minAge: 3600 });
    const h = await startHttpDaemon(ws, {}, undefined, { minAge: 3600, extraMerchants: otherMerchant(ws) });
    const start = (body: unknown) => json<{ id: string; events: string }>(h.get('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    type Job = { state: string; progress: { text: string; done: number; total: number | null }; result: Record<string, unknown> };
    const finished = (id: string) => waitFor(async () => {
      const s = await json<Job>(h.get(`/api/jobs/${id}`));
      return s.body.state !== 'running' ? s.body : undefined;
    }, { what: `job ${id} to end`, daemon: h.daemon });

    copyFileSync(path.join(SAMPLES, 'orders.json'), path.join(ws.inbox, 'orders-1.json'));
    const poll = await start({ channel: 'demo/dropbox', job: 'orders' });
    const polled = await finished(poll.body.id);
    expect(polled).toMatchObject({ state: 'done', result: { files: 0, pending: 1, pendingWaitingFor: 'minAge: to stay unchanged for 3600 s across two looks' } });
    expect(polled.progress.text).toBe('no file ready: 1 file(s) seen but not read yet, waiting for minAge: to stay unchanged for 3600 s across two looks; the channel takes them at a later look');
    const pollPage = await (await h.get(`/sync/jobs/${poll.body.id}`)).text();
    expect(pollPage).toContain('1 file(s) seen but not read yet, waiting for minAge');

    const exp = await start({ export: 'other/stock' });
    const exported = await finished(exp.body.id);
    expect(exported.state).toBe('done');
    expect(exported.progress.text).toMatch(/^wrote stock-\d{8}-\d{6}\.csv: 0 item\(s\), 0 row\(s\)$/);
    const expPage = await (await h.get(`/sync/jobs/${exp.body.id}`)).text();
    expect(expPage).not.toContain('starting');
    expect(expPage).toMatch(/wrote stock-\d{8}-\d{6}\.csv/);

    // Subscribed after the end: the final state comes first, then `end`.
    const text = await readSse(await h.get(exp.body.events), 5_000);
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1]!, job: JSON.parse(m[2]!) as Job }));
    expect(events.map((e) => e.event)).toEqual(['progress', 'end']);
    expect(events[0]!.job).toMatchObject({ state: 'done', progress: { text: exported.progress.text }, result: { outcome: 'written' } });
    await h.daemon.stop();
  });

  it('a poll asked for while a poll is taking files counts the files of that poll too (not "no new file")', async () => {
    // No watcher and an hour between polls: the daemon looks only when asked (and again 1 s after a look that saw files settling).
    const ws = await workspace({ minAge: 0, watch: false, pollInterval: 3600 });
    const h = await startHttpDaemon(ws, {}, undefined, { minAge: 0, watch: false, pollInterval: 3600 });
    const start = (body: unknown) => json<{ id: string }>(h.get('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    type Job = { state: string; progress: { text: string }; result: { files: number; pending: number } };
    const finished = (id: string) => waitFor(async () => {
      const s = await json<Job>(h.get(`/api/jobs/${id}`));
      return s.body.state !== 'running' ? s.body : undefined;
    }, { what: `job ${id} to end`, daemon: h.daemon, timeoutMs: 60_000 });
    const sample = JSON.parse(readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8')) as { export: Record<string, unknown>; orders: Record<string, unknown>[] };
    const FILES = 300;
    for (let i = 0; i < FILES; i++) {
      const orders = [{ ...sample.orders[0], id: 900_000 + i, number: String(900_000 + i) }];
      writeFileSync(path.join(ws.inbox, `join-${String(i).padStart(3, '0')}.json`), JSON.stringify({ export: { ...sample.export, count: 1 }, orders }));
    }
    // The first look sees the files settling (two looks make a file stable); the look 1 s later takes them all.
    const first = await finished((await start({ channel: 'demo/dropbox', job: 'orders' })).body.id);
    expect(first.result).toMatchObject({ files: 0, pending: FILES });
    await waitFor(() => ws.archived().length > 0, { what: 'the poll to take its first files', daemon: h.daemon, timeoutMs: 30_000 });
    const joined = await finished((await start({ channel: 'demo/dropbox', job: 'orders' })).body.id);
    expect(ws.archived().length).toBe(FILES);
    expect(joined.state).toBe('done');
    expect(joined.result.files).toBe(FILES);
    expect(joined.progress.text).toMatch(new RegExp(`^${FILES} file\\(s\\) taken \\(${FILES} of them by the poll that was going on when asked\\)$`));
    await h.daemon.stop();
  });
});

/** Reads a server-sent event stream to its end (the server closes it), failing after `ms`. */
async function readSse(res: Response, ms: number): Promise<string> {
  const timer = setTimeout(() => void res.body?.cancel(), ms);
  try {
    return await res.text();
  } finally {
    clearTimeout(timer);
  }
}

