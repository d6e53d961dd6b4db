import { createHmac } from 'node:crypto';
import { basicCredentials, TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * A WooCommerce REST API v3 as documented (https://woocommerce.github.io/woocommerce-rest-api-docs/):
 * basic auth or consumer_key/consumer_secret in the query, key permissions read / write / read_write,
 * `status` (comma list), `modified_after` with `dates_are_gmt` (strictly after, like WP_Date_Query),
 * `exclude` (comma list of ids),
 * `orderby=modified|date|id`, `per_page` ≤ 100, `page`, X-WP-Total / X-WP-TotalPages.
 * Writes: `POST /products/batch` and `/products/{id}/variations/batch` (≤ 100 items, else 413
 * `woocommerce_rest_request_entity_too_large`; per-item errors for unknown ids; empty batches),
 * `GET|PUT /orders/{id}` (status, meta_data; unknown id 400 `woocommerce_rest_shop_order_invalid_id`),
 * `GET|POST /orders/{id}/notes`. A Read-only key writing gets 401 "does not have write permissions".
 * Webhooks (https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks): `GET /webhooks`
 * (paged), `POST /webhooks` (topic `<resource>.<event>`, delivery_url; WooCommerce pings the URL with
 * an unsigned form body `webhook_id=<id>` when it creates one, WC_Webhook::deliver_ping, and keeps
 * the answer in `pings`), `PUT /webhooks/{id}`, `DELETE /webhooks/{id}?force=true` (without force:
 * 501 `woocommerce_rest_trash_not_supported`). `wooDeliver` sends a delivery as WooCommerce does.
 */

export interface WooKey {
  key: string;
  secret: string;
  permissions: 'read' | 'write' | 'read_write';
}

export interface WooState {
  keys: WooKey[];
  orders: Record<string, unknown>[];
  products: Record<string, unknown>[];
  variations: Map<number, Record<string, unknown>[]>;
  /** When false, /wp-json/ lists no wc/v3 namespace (WooCommerce inactive). */
  wooActive: boolean;
  /** Order notes by order id, as created through the API. */
  notes: Map<number, { id: number; note: string; customer_note: boolean; date_created_gmt: string }[]>;
  /** Webhooks created through the API (the secret is kept: it signs the deliveries). */
  webhooks: WooWebhook[];
  /** Answers to the creation pings: status code, or the network error's message. */
  pings: { url: string; status: number | string }[];
}

export interface WooWebhook {
  id: number;
  name: string;
  status: 'active' | 'paused' | 'disabled';
  topic: string;
  resource: string;
  event: string;
  delivery_url: string;
  secret: string;
  api_version: 'wp_api_v3';
  date_created_gmt: string;
}

/** WooCommerce's maximum of create+update+delete items in one batch request (WC_REST_Controller::check_batch_limit). */
export const WOO_BATCH_MAX = 100;

const ROOT = '/wp-json/wc/v3';

export function wooServer(state: Partial<WooState> = {}): TestServer & { state: WooState } {
  const s: WooState = { keys: [], orders: [], products: [], variations: new Map(), wooActive: true, notes: new Map(), webhooks: [], pings: [], ...state };
  const server = new TestServer((req) => handle(s, req)) as TestServer & { state: WooState };
  server.state = s;
  return server;
}

function error(status: number, code: string, message: string): Reply {
  return { status, body: { code, message, data: { status } } };
}

function authenticate(s: WooState, req: SeenRequest): WooKey | Reply {
  const basic = basicCredentials(req.headers.authorization);
  const [key, secret] = basic ?? [req.query.get('consumer_key') ?? '', req.query.get('consumer_secret') ?? ''];
  if (!key) return error(401, 'woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.');
  const found = s.keys.find((k) => k.key === key);
  if (!found) return error(401, 'woocommerce_rest_authentication_error', 'Consumer key is invalid.');
  if (found.secret !== secret) return error(401, 'woocommerce_rest_authentication_error', 'Consumer secret is invalid.');
  if (req.method !== 'GET' && found.permissions === 'read') {
    return error(401, 'woocommerce_rest_authentication_error', 'The API key provided does not have write permissions.');
  }
  if (req.method === 'GET' && found.permissions === 'write') {
    return error(401, 'woocommerce_rest_authentication_error', 'The API key provided does not have read permissions.');
  }
  return found;
}

function handle(s: WooState, req: SeenRequest): Reply | Promise<Reply> {
  if (req.path === '/wp-json/' || req.path === '/wp-json') {
    return { status: 200, body: { name: 'Test Shop', url: 'https://shop.example', namespaces: s.wooActive ? ['wp/v2', 'wc/v3'] : ['wp/v2'] } };
  }
  if (!req.path.startsWith(ROOT)) return { status: 404, text: '<html><body>Not Found</body></html>' };
  const auth = authenticate(s, req);
  if ('status' in auth) return auth;
  const route = req.path.slice(ROOT.length);
  const wh = /^\/webhooks(?:\/(\d+))?$/.exec(route);
  if (wh) return webhookRoute(s, req, wh[1] === undefined ? undefined : Number(wh[1]));
  if (req.method === 'POST' && route === '/orders/batch') return { status: 200, body: {} };
  if (req.method === 'POST' && route === '/products/batch') return batch(req, (id) => s.products.find((p) => Number(p.id) === id && p.type !== 'variation'), 'woocommerce_rest_product_invalid_id');
  const vb = /^\/products\/(\d+)\/variations\/batch$/.exec(route);
  if (req.method === 'POST' && vb) {
    const parent = s.products.find((p) => Number(p.id) === Number(vb[1]));
    if (!parent || parent.type !== 'variable') return error(404, 'woocommerce_rest_product_invalid_id', 'Invalid ID.');
    return batch(req, (id) => (s.variations.get(Number(vb[1])) ?? []).find((v) => Number(v.id) === id), 'woocommerce_rest_product_variation_invalid_id');
  }
  const o = /^\/orders\/(\d+)(\/notes)?$/.exec(route);
  if (o) return orderRoute(s, req, Number(o[1]), Boolean(o[2]));
  if (req.method !== 'GET') return error(404, 'rest_no_route', 'No route was found matching the URL and request method.');
  if (route === '/orders') {
    const orderby = req.query.get('orderby');
    if (orderby && !['date', 'id', 'include', 'title', 'slug', 'modified'].includes(orderby)) return error(400, 'rest_invalid_param', 'Invalid parameter(s): orderby');
    if (req.query.has('exclude') && !/^\d+(,\d+)*$/.test(req.query.get('exclude')!)) return error(400, 'rest_invalid_param', 'Invalid parameter(s): exclude');
    return list(req, filterOrders(s.orders, req));
  }
  if (route === '/products') return list(req, [...s.products].sort((a, b) => Number(a.id) - Number(b.id)));
  const v = /^\/products\/(\d+)\/variations$/.exec(route);
  if (v) return list(req, s.variations.get(Number(v[1])) ?? []);
  return error(404, 'rest_no_route', 'No route was found matching the URL and request method.');
}

function parseJson(req: SeenRequest): Record<string, unknown> | Reply {
  try {
    const v = JSON.parse(req.body || '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  return error(400, 'rest_invalid_json', 'Invalid JSON body passed.');
}

/** WC_REST_Controller::batch_items: limit over create+update+delete, then item by item. Only `update` with stock fields is modelled. */
function batch(req: SeenRequest, find: (id: number) => Record<string, unknown> | undefined, invalidCode: string): Reply {
  const body = parseJson(req);
  if ('status' in body && typeof body.status === 'number') return body as unknown as Reply;
  const b = body as { create?: unknown[]; update?: unknown[]; delete?: unknown[] };
  const n = (b.create?.length ?? 0) + (b.update?.length ?? 0) + (b.delete?.length ?? 0);
  if (n > WOO_BATCH_MAX) return error(413, 'woocommerce_rest_request_entity_too_large', `Unable to accept more than ${WOO_BATCH_MAX} items for this request.`);
  if (!b.update) return { status: 200, body: {} };
  const update = b.update.map((raw) => {
    const u = raw as { id?: number; manage_stock?: boolean; stock_quantity?: number };
    const item = find(Number(u.id));
    if (!item) return { id: Number(u.id ?? 0), error: { code: invalidCode, message: 'Invalid ID.', data: { status: 400 } } };
    if (u.manage_stock !== undefined) item.manage_stock = u.manage_stock;
    if (u.stock_quantity !== undefined) {
      if (!Number.isInteger(u.stock_quantity)) return { id: Number(u.id), error: { code: 'rest_invalid_param', message: 'Invalid parameter(s): stock_quantity', data: { status: 400 } } };
      item.stock_quantity = u.stock_quantity;
      item.stock_status = u.stock_quantity > 0 ? 'instock' : 'outofstock';
    }
    return { ...item };
  });
  return { status: 200, body: { update } };
}

function orderRoute(s: WooState, req: SeenRequest, id: number, notes: boolean): Reply {
  const order = s.orders.find((x) => Number(x.id) === id);
  if (!order) return error(400, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
  const stamp = () => new Date().toISOString().slice(0, 19);
  if (notes) {
    const list = s.notes.get(id) ?? [];
    if (req.method === 'GET') return { status: 200, body: [...list].reverse() };
    if (req.method !== 'POST') return error(404, 'rest_no_route', 'No route was found matching the URL and request method.');
    const body = parseJson(req);
    if ('status' in body && typeof body.status === 'number') return body as unknown as Reply;
    if (typeof body.note !== 'string' || !body.note) return error(400, 'rest_missing_callback_param', 'Missing parameter(s): note');
    const note = { id: 7000 + [...s.notes.values()].reduce((n, l) => n + l.length, 0), note: body.note, customer_note: body.customer_note === true, date_created_gmt: stamp(), author: 'system', added_by_user: false };
    s.notes.set(id, [...list, note]);
    return { status: 201, body: note };
  }
  if (req.method === 'GET') return { status: 200, body: order };
  if (req.method !== 'PUT' && req.method !== 'POST') return error(404, 'rest_no_route', 'No route was found matching the URL and request method.');
  const body = parseJson(req);
  if ('status' in body && typeof body.status === 'number') return body as unknown as Reply;
  if (typeof body.status === 'string') order.status = body.status;
  if (Array.isArray(body.meta_data)) {
    const meta = (order.meta_data as { id?: number; key: string; value: unknown }[]) ?? [];
    for (const m of body.meta_data as { key: string; value: unknown }[]) {
      const at = meta.find((x) => x.key === m.key);
      if (at) at.value = m.value;
      else meta.push({ id: 9500 + meta.length, key: m.key, value: m.value });
    }
    order.meta_data = meta;
  }
  order.date_modified_gmt = stamp();
  order.date_modified = stamp();
  return { status: 200, body: order };
}

function filterOrders(orders: Record<string, unknown>[], req: SeenRequest): Record<string, unknown>[] {
  const statuses = (req.query.get('status') ?? 'any').split(',');
  const after = req.query.get('modified_after');
  const gmt = req.query.get('dates_are_gmt') === 'true';
  // Arrays of ids come as comma lists (WordPress parses them with wp_parse_id_list).
  const exclude = new Set((req.query.get('exclude') ?? '').split(',').filter(Boolean).map(Number));
  let out = orders.filter((o) => (statuses.includes('any') || statuses.includes(String(o.status))) && !exclude.has(Number(o.id)));
  if (after) {
    // Without dates_are_gmt WooCommerce reads the date in the site's zone; the test site runs on UTC+1.
    const t = Date.parse(/Z|[+-]\d\d:\d\d$/.test(after) ? after : `${after}Z`) - (gmt ? 0 : 3600_000);
    out = out.filter((o) => Date.parse(`${String(o.date_modified_gmt)}Z`) > t);
  }
  const orderby = req.query.get('orderby') ?? 'date';
  const key = orderby === 'modified' ? 'date_modified_gmt' : orderby === 'id' ? 'id' : 'date_created_gmt';
  const dir = req.query.get('order') === 'asc' ? 1 : -1;
  return [...out].sort((a, b) => (String(a[key]).localeCompare(String(b[key]), 'en', { numeric: true }) || Number(a.id) - Number(b.id)) * dir);
}

function list(req: SeenRequest, all: unknown[]): Reply {
  const perPage = Number(req.query.get('per_page') ?? 10);
  const page = Number(req.query.get('page') ?? 1);
  if (!(perPage >= 1 && perPage <= 100)) return error(400, 'rest_invalid_param', 'Invalid parameter(s): per_page');
  const totalPages = Math.ceil(all.length / perPage);
  return {
    status: 200,
    headers: { 'x-wp-total': String(all.length), 'x-wp-totalpages': String(totalPages) },
    body: all.slice((page - 1) * perPage, page * perPage),
  };
}

/** A realistic WooCommerce order (REST v3 shape), Dutch by default. */
export function wooOrder(o: {
  id: number;
  status?: string;
  modified: string;
  created?: string;
  lines?: { sku: string; qty: number; price: string; name?: string; variationId?: number }[];
  address1?: string;
  country?: string;
  meta?: { key: string; value: string }[];
}): Record<string, unknown> {
  const created = o.created ?? o.modified;
  const lines = o.lines ?? [{ sku: `SKU-${o.id}`, qty: 1, price: '19.95' }];
  const noZ = (iso: string) => new Date(iso).toISOString().slice(0, 19);
  // `price` is what the customer pays for one unit, 21% VAT included; WooCommerce stores and
  // answers amounts without tax plus their tax (line `price` = line `total` / quantity, without tax).
  const cents = (n: number) => Math.round(n * 100) / 100;
  const items = lines.map((l) => {
    const gross = cents(l.qty * Number(l.price));
    const net = cents(gross / 1.21);
    return { ...l, net, tax: cents(gross - net) };
  });
  const shipNet = 4.09, shipTax = 0.86;
  const tax = cents(items.reduce((n, i) => n + i.tax, 0) + shipTax);
  const total = cents(items.reduce((n, i) => n + i.net + i.tax, 0) + shipNet + shipTax);
  const address = {
    first_name: 'Sanne',
    last_name: 'de Vries',
    company: '',
    address_1: o.address1 ?? 'Keizersgracht 221 B',
    address_2: '',
    city: 'Amsterdam',
    state: '',
    postcode: '1016 DV',
    country: o.country ?? 'NL',
  };
  return {
    id: o.id,
    parent_id: 0,
    number: String(o.id),
    order_key: `wc_order_${o.id}abc`,
    created_via: 'checkout',
    status: o.status ?? 'processing',
    currency: 'EUR',
    date_created: noZ(created),
    date_created_gmt: noZ(created),
    date_modified: noZ(o.modified),
    date_modified_gmt: noZ(o.modified),
    discount_total: '0.00',
    discount_tax: '0.00',
    shipping_total: shipNet.toFixed(2),
    shipping_tax: shipTax.toFixed(2),
    cart_tax: cents(tax - shipTax).toFixed(2),
    total: total.toFixed(2),
    total_tax: tax.toFixed(2),
    prices_include_tax: true,
    customer_note: '',
    billing: { ...address, email: 'sanne@example.nl', phone: '+31 20 555 0101' },
    shipping: { ...address, phone: '' },
    payment_method: 'ideal',
    meta_data: o.meta?.map((m, i) => ({ id: 9000 + i, ...m })) ?? [],
    line_items: items.map((l, i) => ({
      id: o.id * 100 + i,
      name: l.name ?? `Product ${l.sku}`,
      product_id: 500 + i,
      variation_id: l.variationId ?? 0,
      quantity: l.qty,
      tax_class: '',
      subtotal: l.net.toFixed(2),
      subtotal_tax: l.tax.toFixed(2),
      total: l.net.toFixed(2),
      total_tax: l.tax.toFixed(2),
      taxes: [{ id: 1, total: l.tax.toFixed(2), subtotal: l.tax.toFixed(2) }],
      meta_data: [],
      sku: l.sku,
      price: l.net / l.qty,
    })),
    shipping_lines: [{ id: o.id * 100 + 99, method_title: 'PostNL Standaard', method_id: 'flat_rate', total: shipNet.toFixed(2), total_tax: shipTax.toFixed(2), meta_data: [] }],
    fee_lines: [],
    coupon_lines: [],
  };
}

/** The webhook as the API shows it: everything but the secret (context view). */
function shownWebhook(w: WooWebhook): Omit<WooWebhook, 'secret'> {
  const { secret: _secret, ...shown } = w;
  return shown;
}

const WOO_TOPIC = /^(coupon|customer|order|product)\.(created|updated|deleted|restored)$/;

async function webhookRoute(s: WooState, req: SeenRequest, id: number | undefined): Promise<Reply> {
  if (id === undefined) {
    if (req.method === 'GET') return list(req, s.webhooks.map(shownWebhook));
    if (req.method !== 'POST') return error(404, 'rest_no_route', 'No route was found matching the URL and request method.');
    const body = parseJson(req);
    if ('status' in body && typeof body.status === 'number') return body as unknown as Reply;
    const topic = String(body.topic ?? '');
    if (!body.topic || !body.delivery_url) return error(400, 'rest_missing_callback_param', `Missing parameter(s): ${[!body.topic && 'topic', !body.delivery_url && 'delivery_url'].filter(Boolean).join(', ')}`);
    if (!WOO_TOPIC.test(topic)) return error(400, 'woocommerce_rest_webhook_invalid_topic', 'Webhook topic must be valid.');
    if (!/^https?:\/\//.test(String(body.delivery_url))) return error(400, 'rest_invalid_param', 'Invalid parameter(s): delivery_url');
    const [resource, event] = topic.split('.') as [string, string];
    const w: WooWebhook = {
      id: 100 + s.webhooks.length + s.pings.length, name: String(body.name ?? ''), status: (body.status as WooWebhook['status']) ?? 'active', topic, resource, event,
      delivery_url: String(body.delivery_url), secret: String(body.secret ?? ''), api_version: 'wp_api_v3', date_created_gmt: new Date().toISOString().slice(0, 19),
    };
    s.webhooks.push(w);
    // WC_Webhook::deliver_ping: POST `webhook_id=<id>`, no signature; only 200 counts as delivered.
    try {
      const res = await fetch(w.delivery_url, { method: 'POST', body: `webhook_id=${w.id}`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'WooCommerce/9.0 Hookshot (WordPress/6.5)' } });
      await res.arrayBuffer();
      s.pings.push({ url: w.delivery_url, status: res.status });
    } catch (err) {
      s.pings.push({ url: w.delivery_url, status: (err as Error).message });
    }
    return { status: 201, body: shownWebhook(w) };
  }
  const at = s.webhooks.findIndex((w) => w.id === id);
  if (at < 0) return error(404, 'woocommerce_rest_webhook_invalid_id', 'Invalid ID.');
  const w = s.webhooks[at]!;
  if (req.method === 'GET') return { status: 200, body: shownWebhook(w) };
  if (req.method === 'DELETE') {
    if (req.query.get('force') !== 'true') return error(501, 'woocommerce_rest_trash_not_supported', 'Webhooks do not support trashing.');
    s.webhooks.splice(at, 1);
    return { status: 200, body: shownWebhook(w) };
  }
  if (req.method !== 'PUT' && req.method !== 'POST') return error(404, 'rest_no_route', 'No route was found matching the URL and request method.');
  const body = parseJson(req);
  if ('status' in body && typeof body.status === 'number') return body as unknown as Reply;
  if (typeof body.topic === 'string') {
    if (!WOO_TOPIC.test(body.topic)) return error(400, 'woocommerce_rest_webhook_invalid_topic', 'Webhook topic must be valid.');
    w.topic = body.topic;
  }
  if (typeof body.delivery_url === 'string') w.delivery_url = body.delivery_url;
  if (typeof body.secret === 'string') w.secret = body.secret;
  if (typeof body.name === 'string') w.name = body.name;
  if (body.status === 'active' || body.status === 'paused' || body.status === 'disabled') w.status = body.status;
  return { status: 200, body: shownWebhook(w) };
}

/** What a delivery got back from Wharf. */
export interface Delivered {
  url: string;
  status: number;
  body: string;
}

/**
 * One delivery of `topic` for `resource` (an order object) to every active webhook of that topic, as
 * WC_Webhook::deliver sends it: POST, JSON from wp_json_encode (slashes escaped as `\/`),
 * X-WC-Webhook-Source/Topic/Resource/Event/ID/Delivery-ID, and X-WC-Webhook-Signature = base64
 * HMAC-SHA256 of the body with the webhook's secret. `tamper` changes the body after signing.
 */
export async function wooDeliver(s: WooState, topic: string, resource: unknown, opts: { tamper?: (body: string) => string; signature?: string | null } = {}): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const w of s.webhooks.filter((x) => x.topic === topic && x.status === 'active')) {
    const body = JSON.stringify(resource).replace(/\//g, '\\/');
    const signature = createHmac('sha256', w.secret).update(body).digest('base64');
    const headers: Record<string, string> = {
      'content-type': 'application/json', 'user-agent': 'WooCommerce/9.0 Hookshot (WordPress/6.5)',
      'x-wc-webhook-source': 'https://shop.example/', 'x-wc-webhook-topic': topic, 'x-wc-webhook-resource': w.resource, 'x-wc-webhook-event': w.event,
      'x-wc-webhook-id': String(w.id), 'x-wc-webhook-delivery-id': String(Math.floor(Math.random() * 1e6)),
    };
    if (opts.signature !== null) headers['x-wc-webhook-signature'] = opts.signature ?? signature;
    const res = await fetch(w.delivery_url, { method: 'POST', headers, body: opts.tamper ? opts.tamper(body) : body });
    out.push({ url: w.delivery_url, status: res.status, body: await res.text() });
  }
  return out;
}

/** Cron of a job that never runs in a test (once a year, on New Year's midnight). */
export const NEVER = '0 0 1 1 *';

/**
 * A read key's test server with `n` processing orders (ids 1…n, modified a second apart from a day
 * ago), and the config of a WooCommerce channel on it whose scheduled jobs never run (credentials from
 * `${WOO_KEY}`/`${WOO_SECRET}`; `extra` merged in). Stop the server when done.
 */
export async function wooShopWithOrders(n: number, key: string, secret: string, extra: Record<string, unknown> = {}): Promise<{ server: TestServer & { state: WooState }; channel: Record<string, unknown> }> {
  const server = await wooServer({ keys: [{ key, secret, permissions: 'read' }] }).start();
  const t0 = Date.now() - 86_400_000;
  for (let i = 1; i <= n; i++) server.state.orders.push(wooOrder({ id: i, modified: new Date(t0 + i * 1000).toISOString().slice(0, 19) }));
  const channel = {
    type: 'woocommerce', url: 'https://shop.example', baseUrl: `${server.url}/wp-json/wc/v3`, consumerKey: '${WOO_KEY}', consumerSecret: '${WOO_SECRET}',
    schedules: { orders: NEVER, products: NEVER, stock: NEVER, shipments: NEVER }, ...extra,
  };
  return { server, channel };
}
