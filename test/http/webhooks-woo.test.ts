import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllDaemons, waitFor, workspacesPerTest, type Workspace } from '../helpers/e2e.js';
import { startHttpDaemon, type HttpDaemon } from '../helpers/http.js';
import { duplicatesOf } from '../helpers/webhooks.js';
import { wooDeliver, wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';

/**
 * WooCommerce order webhooks through a real `wharf run` (HTTP server, SQLite ledger, warehouse folder)
 * and the strict WooCommerce test server, which creates the webhooks through its REST API, pings the
 * daemon and sends deliveries signed as WooCommerce signs them.
 */
const KEY = 'ck_0123456789abcdef0123456789abcdef01234567';
const SECRET = 'cs_0123456789abcdef0123456789abcdef01234567';
const HOOK_SECRET = 'whsec-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const env = { WOO_KEY: KEY, WOO_READONLY_KEY: 'ck_readonly', WOO_SECRET: SECRET, WOO_HOOK_SECRET: HOOK_SECRET };
const NEVER = { orders: '0 0 1 1 *', products: '0 0 1 1 *' };

const signBody = (body: string | Buffer, secret: string) => createHmac('sha256', secret).update(body).digest('base64');

const workspace = workspacesPerTest();
afterEach(killAllDaemons);

describe('WooCommerce order webhooks', () => {
  let shop: ReturnType<typeof wooServer>;
  beforeAll(async () => {
    shop = await wooServer({ keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }, { key: 'ck_readonly', secret: SECRET, permissions: 'read' }] }).start();
  });
  afterAll(() => shop.stop());

  async function daemon(extra: Record<string, unknown> = {}, http: Record<string, unknown> = {}): Promise<{ ws: Workspace; h: HttpDaemon; hook: string }> {
    shop.state.orders = [];
    shop.state.webhooks = [];
    shop.state.pings = [];
    const ws = await workspace({
      extraChannels: {
        shop: {
          type: 'woocommerce', url: 'https://shop.example', baseUrl: `${shop.url}/wp-json/wc/v3`, consumerKey: '${WOO_KEY}', consumerSecret: '${WOO_SECRET}',
          webhooks: { secret: '${WOO_HOOK_SECRET}' }, schedules: NEVER, ...extra,
        },
      },
    });
    const h = await startHttpDaemon(ws, http, env);
    return { ws, h, hook: `${h.url}/webhooks/demo/shop` };
  }

  const orderFiles = (ws: Workspace) => ws.warehouseFiles().filter((f) => f.startsWith('demo-shop-') && !f.endsWith('.cancel.json'));

  it('wharf webhooks install subscribes both order topics once (twice = once) and the creation ping is answered 200; remove deletes them', async () => {
    const { ws, hook } = await daemon();
    const first = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('created  order.created');
    expect(shop.state.webhooks.map((w) => [w.topic, w.delivery_url, w.secret, w.status])).toEqual([
      ['order.created', hook, HOOK_SECRET, 'active'],
      ['order.updated', hook, HOOK_SECRET, 'active'],
    ]);
    expect(shop.state.pings).toEqual([{ url: hook, status: 200 }, { url: hook, status: 200 }]);
    // The secret never reaches the output.
    expect(first.stdout + first.stderr).not.toContain(HOOK_SECRET);

    const second = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('kept     order.created');
    expect(shop.state.webhooks).toHaveLength(2);

    const removed = await ws.wharf(['webhooks', 'remove', 'demo/shop'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('removed: 2');
    expect(shop.state.webhooks).toHaveLength(0);
    const again = await ws.wharf(['webhooks', 'remove', 'demo/shop'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to remove');
  });

  it('install refuses a URL that is not this channel\'s route, and says what permission a read-only key lacks', async () => {
    const { ws, h } = await daemon({ consumerKey: '${WOO_READONLY_KEY}' });
    const wrong = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', `${h.url}/webhooks/demo/other`], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--url must end in /webhooks/demo/shop');
    const readOnly = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', `${h.url}/webhooks/demo/shop`], { env });
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toMatch(/Read permission only/);
    expect(shop.state.webhooks).toHaveLength(0);
  });

  it('takes a signed delivery into the warehouse once: replayed it is a duplicate, and the pull of the same order finds a duplicate', async () => {
    const { ws, h, hook } = await daemon();
    expect((await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env })).code).toBe(0);
    const order = wooOrder({ id: 4101, modified: '2026-05-04T08:00:00Z' });
    shop.state.orders.push(order);

    const [got] = await wooDeliver(shop.state, 'order.created', order);
    expect(got!.status).toBe(200);
    expect(JSON.parse(got!.body)).toMatchObject({ status: 'imported', newOrders: 1 });
    await waitFor(() => orderFiles(ws).length === 1, { what: 'the webhook order in the warehouse', daemon: h.daemon });
    expect(ws.readWarehouse(orderFiles(ws)[0]!)).toMatchObject({ id: 'demo:shop:4101', externalId: '4101' });

    // The same delivery again (WooCommerce retries when it saw no answer): a duplicate, nothing sent again.
    const [replayed] = await wooDeliver(shop.state, 'order.created', order);
    expect(replayed!.status).toBe(200);
    expect(JSON.parse(replayed!.body)).toMatchObject({ status: 'duplicate' });
    // Other bytes, the same JSON value (pretty-printed, unescaped slashes): the content is compared after parsing, so a duplicate too.
    const pretty = JSON.stringify(order, null, 2);
    const resent = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-signature': signBody(pretty, HOOK_SECRET) }, body: pretty });
    expect(await resent.json()).toMatchObject({ status: 'duplicate' });
    // order.updated for a change Wharf does not act on (a note): another body, the same order: a duplicate record.
    const [updated] = await wooDeliver(shop.state, 'order.updated', { ...order, customer_note: 'bel even aan' });
    expect(JSON.parse(updated!.body)).toMatchObject({ status: 'imported', newOrders: 0, duplicates: 1 });

    await h.daemon.stop();
    const before = await duplicatesOf(ws, 'shop', env);
    // The scheduled pull (here run by hand) brings the same order: the ledger knows it, unchanged.
    const pulled = await ws.wharf(['sync', 'demo/shop', 'orders'], { env });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/1 record\(s\) in \d+ page\(s\): 0 new/);
    expect(orderFiles(ws)).toHaveLength(1);
    // The same record from both paths, byte for byte: the pulled page is a duplicate of the first
    // webhook batch (same content hash). Only the note changed by hand above differs.
    const after = await duplicatesOf(ws, 'shop', env);
    expect(after.duplicateFiles).toBe(before.duplicateFiles + 1);
    expect(after.changed).toEqual(['demo:shop:4101']);
  });

  it('an order pulled first and then delivered by webhook is a duplicate too', async () => {
    const { ws, h, hook } = await daemon();
    expect((await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env })).code).toBe(0);
    const order = wooOrder({ id: 4201, modified: '2026-05-04T09:00:00Z' });
    shop.state.orders.push(order);
    const pulled = await ws.wharf(['sync', 'demo/shop', 'orders'], { env });
    expect(pulled.stdout).toMatch(/1 new/);
    // The same bytes as the page's one record: the whole batch is a duplicate of the pulled page.
    const [got] = await wooDeliver(shop.state, 'order.updated', order);
    expect(got!.status).toBe(200);
    expect(JSON.parse(got!.body)).toMatchObject({ status: 'duplicate', newOrders: 0 });
    // Modified since (a later date_modified): a record the ledger knows, not sent again.
    const [later] = await wooDeliver(shop.state, 'order.updated', { ...order, date_modified_gmt: '2026-05-04T09:05:00', date_modified: '2026-05-04T09:05:00' });
    expect(JSON.parse(later!.body)).toMatchObject({ status: 'imported', newOrders: 0, duplicates: 1 });
    expect(orderFiles(ws)).toHaveLength(1);
    expect(h.daemon.alive).toBe(true);
  });

  it('refuses a missing or wrong signature and a body changed by one byte (401, logged without the body); answers the ping; ignores an order not ready', async () => {
    const { ws, h, hook } = await daemon();
    expect((await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env })).code).toBe(0);
    const order = wooOrder({ id: 4301, modified: '2026-05-04T10:00:00Z' });

    const [missing] = await wooDeliver(shop.state, 'order.created', order, { signature: null });
    expect(missing!.status).toBe(401);
    const [wrong] = await wooDeliver(shop.state, 'order.created', order, { signature: Buffer.alloc(32, 7).toString('base64') });
    expect(wrong!.status).toBe(401);
    const [changed] = await wooDeliver(shop.state, 'order.created', order, { tamper: (b) => b.replace('"total":"', '"total":"1') });
    expect(changed!.status).toBe(401);
    expect(JSON.parse(changed!.body)).toMatchObject({ error: 'unauthorized' });
    // A delivery signed with another secret (another shop, or an old secret).
    const other = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-signature': 'bm90IGEgc2lnbmF0dXJl' }, body: JSON.stringify(order) });
    expect(other.status).toBe(401);
    const refusals = h.daemon.logs().filter((l) => /webhook refused/.test(l.msg));
    expect(refusals).toHaveLength(4);
    expect(h.daemon.stderr).not.toContain('Keizersgracht');
    expect(orderFiles(ws)).toHaveLength(0);

    // WooCommerce's ping on creation: unsigned form body, answered 200 and nothing else.
    const ping = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=77' });
    expect(ping.status).toBe(200);
    // As docs/operations.md (Webhooks) says: an answer of its own, not "ignored".
    expect(await ping.json()).toEqual({ status: 'ok', message: 'ping received' });

    // Pending payment: not an order the pull takes; 200 so WooCommerce does not retry, nothing imported.
    const [pending] = await wooDeliver(shop.state, 'order.created', wooOrder({ id: 4302, modified: '2026-05-04T10:00:00Z', status: 'pending' }));
    expect(pending!.status).toBe(200);
    expect(JSON.parse(pending!.body)).toMatchObject({ status: 'ignored' });
    expect(orderFiles(ws)).toHaveLength(0);
  });

  it('quarantines a signed body that is no order (200: a retry would not change it); refuses an oversized body (413) and survives malformed requests', async () => {
    const { ws, h, hook } = await daemon({}, { bodyLimit: 64 * 1024 });
    expect((await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env })).code).toBe(0);
    const [notOrder] = await wooDeliver(shop.state, 'order.created', { id: 4401, status: 'processing', note: 'no lines, no address' });
    expect(notOrder!.status).toBe(200);
    expect(JSON.parse(notOrder!.body)).toMatchObject({ status: 'quarantined' });
    const qdir = path.join(ws.varDir, 'quarantine', 'demo', 'shop');
    await waitFor(() => existsSync(qdir) && readdirSync(qdir).some((f) => f.endsWith('.errors.json')), { what: 'the quarantined webhook body', daemon: h.daemon });
    expect(orderFiles(ws)).toHaveLength(0);

    // Signed but not JSON at all: quarantined as well.
    const text = '{"id": 44';
    const signedGarbage = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-signature': signBody(text, HOOK_SECRET) }, body: text });
    expect(signedGarbage.status).toBe(200);
    const garbage = await signedGarbage.json() as { status: string; fileId: number; invalid: number; message: string };
    expect(garbage).toMatchObject({ status: 'quarantined', invalid: 0 });
    expect(garbage.message).toMatch(/the body is not valid JSON: /);
    // The quarantined copy is the raw body, its report one error saying so (not the mapping's per-field errors).
    const copies = readdirSync(qdir).filter((f) => !f.endsWith('.errors.json') && readFileSync(path.join(qdir, f), 'utf8') === text);
    expect(copies).toHaveLength(1);
    const report = JSON.parse(readFileSync(path.join(qdir, `${copies[0]}.errors.json`), 'utf8')) as { errors: { message: string }[] };
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]!.message).toMatch(/^the body is not valid JSON: .{5,}/);
    // Not JSON on a topic Wharf does not take: ignored, as any body on that topic.
    const otherTopic = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'product.updated', 'x-wc-webhook-signature': signBody(text, HOOK_SECRET) }, body: text });
    expect(await otherTopic.json()).toMatchObject({ status: 'ignored' });

    const big = Buffer.alloc(100 * 1024, 'a');
    const tooBig = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wc-webhook-signature': signBody(big, HOOK_SECRET) }, body: big });
    expect(tooBig.status).toBe(413);
    const badName = await fetch(`${h.url}/webhooks/demo/sh%20op`, { method: 'POST', body: '{}' });
    expect(badName.status).toBe(400);
    const unknown = await fetch(`${h.url}/webhooks/demo/nope`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    const folder = await fetch(`${h.url}/webhooks/demo/dropbox`, { method: 'POST', body: '{}' });
    expect(folder.status).toBe(404);
    const noBody = await fetch(hook, { method: 'POST' });
    expect(noBody.status).toBe(401);
    expect((await h.get('/healthz', { auth: false })).status).toBe(200);
    expect(h.daemon.alive).toBe(true);
  });
});
