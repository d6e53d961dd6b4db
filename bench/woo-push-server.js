// A WooCommerce-shaped REST API for the push benchmark, in its own process so that it does not share
// a CPU budget with what is measured. PRODUCTS simple products (id 1000+i, SKU `SKU-<i, 7 digits>`,
// i = 1..PRODUCTS, stock not managed). Speaks what the stock push and the product pull use, as
// WooCommerce documents it (https://woocommerce.github.io/woocommerce-rest-api-docs/):
//   GET  /wp-json/wc/v3/products               per_page ≤ 100, page, orderby=id, X-WP-Total(Pages)
//   POST /wp-json/wc/v3/products/batch         { update: [{ id, manage_stock, stock_quantity }] }: the body
//        is parsed, create+update+delete > 100 is refused (413 woocommerce_rest_request_entity_too_large),
//        unknown ids and non-integer quantities are per-item errors, the answer is { update: [product…] }
//        with the whole updated product, like WC_REST_Controller::batch_items.
// Auth: basic auth or consumer_key/consumer_secret in the query (ck_bench / cs_bench).
// Bench control (not WooCommerce): GET /__bench/state → counters, the first request's arrival and the
// last answer's end (ms, this process's clock), the most requests in flight at once, and every SKU's
// stock; POST /__bench/reset → stock and counters back to the start.
// LATENCY_MS (default 0) holds every batch answer back that long, like a shop's PHP and database work
// per batch (then requests in flight overlap, as they do on a real shop).
// Prints its port on stdout, serves until killed. Usage: node bench/woo-push-server.js PRODUCTS [LATENCY_MS]
import http from 'node:http';
import { authorized, jsonSender } from './woo-shape.js';

const count = Number(process.argv[2] ?? 10_000);
const BATCH_MAX = 100;
const latencyMs = Number(process.argv[3] ?? 0);
const sku = (i) => `SKU-${String(i).padStart(7, '0')}`;

let products;
let byId;
let stats;
function reset() {
  products = Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return {
      id: 1000 + i, name: `Artikel ${i}`, slug: `artikel-${i}`, type: 'simple', status: 'publish', sku: sku(i),
      price: '12.50', regular_price: '12.50', sale_price: '', date_modified_gmt: '2026-11-01T08:00:00',
      manage_stock: false, stock_quantity: null, stock_status: 'instock', backorders: 'no',
      categories: [{ id: 15, name: 'Thee', slug: 'thee' }], meta_data: [],
    };
  });
  byId = new Map(products.map((p) => [p.id, p]));
  stats = { requests: 0, batchRequests: 0, items: 0, maxItems: 0, inFlight: 0, maxInFlight: 0, firstAt: null, lastAt: null };
}
reset();

function batch(body) {
  let b;
  try {
    b = JSON.parse(body || '{}');
  } catch {
    return [400, { code: 'rest_invalid_json', message: 'Invalid JSON body passed.', data: { status: 400 } }];
  }
  if (!b || typeof b !== 'object' || Array.isArray(b)) return [400, { code: 'rest_invalid_json', message: 'Invalid JSON body passed.', data: { status: 400 } }];
  const n = (b.create?.length ?? 0) + (b.update?.length ?? 0) + (b.delete?.length ?? 0);
  if (n > BATCH_MAX) return [413, { code: 'woocommerce_rest_request_entity_too_large', message: `Unable to accept more than ${BATCH_MAX} items for this request.`, data: { status: 413 } }];
  stats.items += n;
  stats.maxItems = Math.max(stats.maxItems, n);
  if (!Array.isArray(b.update)) return [200, {}];
  const update = b.update.map((u) => {
    const p = byId.get(Number(u?.id));
    if (!p) return { id: Number(u?.id ?? 0), error: { code: 'woocommerce_rest_product_invalid_id', message: 'Invalid ID.', data: { status: 400 } } };
    if (u.stock_quantity !== undefined && !Number.isInteger(u.stock_quantity)) {
      return { id: p.id, error: { code: 'rest_invalid_param', message: 'Invalid parameter(s): stock_quantity', data: { status: 400 } } };
    }
    if (u.manage_stock !== undefined) p.manage_stock = u.manage_stock;
    if (u.stock_quantity !== undefined) {
      p.stock_quantity = u.stock_quantity;
      p.stock_status = u.stock_quantity > 0 ? 'instock' : 'outofstock';
    }
    return { ...p };
  });
  return [200, { update }];
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = jsonSender(res);
  if (url.pathname === '/__bench/state') return send(200, { ...stats, stock: products.map((p) => [p.sku, p.stock_quantity]) });
  if (url.pathname === '/__bench/reset') {
    reset();
    return send(200, { ok: true });
  }
  const counted = url.pathname.startsWith('/wp-json/wc/v3/products/batch');
  if (counted) {
    stats.requests++;
    stats.batchRequests++;
    stats.firstAt ??= performance.now();
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.once('finish', () => {
      stats.inFlight--;
      stats.lastAt = performance.now();
    });
  }
  if (!authorized(req, url)) {
    req.resume();
    return send(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
  }
  if (url.pathname === '/wp-json/' || url.pathname === '/wp-json') return send(200, { namespaces: ['wc/v3'] });
  if (req.method === 'POST' && url.pathname === '/wp-json/wc/v3/products/batch') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const [status, body] = batch(Buffer.concat(chunks).toString('utf8'));
      if (latencyMs > 0) setTimeout(() => send(status, body), latencyMs);
      else send(status, body);
    });
    return undefined;
  }
  if (req.method === 'GET' && url.pathname === '/wp-json/wc/v3/products') {
    const perPage = Number(url.searchParams.get('per_page') ?? 10);
    const page = Number(url.searchParams.get('page') ?? 1);
    if (!(perPage >= 1 && perPage <= 100)) return send(400, { code: 'rest_invalid_param', message: 'Invalid parameter(s): per_page', data: { status: 400 } });
    return send(200, products.slice((page - 1) * perPage, page * perPage), { 'x-wp-total': String(products.length), 'x-wp-totalpages': String(Math.ceil(products.length / perPage)) });
  }
  return send(404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
