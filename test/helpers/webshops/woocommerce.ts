import { basicCredentials, TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * A WooCommerce REST API v3 as documented (https://woocommerce.github.io/woocommerce-rest-api-docs/):
 * basic auth or consumer_key/consumer_secret in the query, key permissions read / write / read_write,
 * `status` (comma list), `modified_after` with `dates_are_gmt` (strictly after, like WP_Date_Query),
 * `exclude` (comma list of ids),
 * `orderby=modified|date|id`, `per_page` ≤ 100, `page`, X-WP-Total / X-WP-TotalPages, empty batches.
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
}

const ROOT = '/wp-json/wc/v3';

export function wooServer(state: Partial<WooState> = {}): TestServer & { state: WooState } {
  const s: WooState = { keys: [], orders: [], products: [], variations: new Map(), wooActive: true, ...state };
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

function handle(s: WooState, req: SeenRequest): Reply {
  if (req.path === '/wp-json/' || req.path === '/wp-json') {
    return { status: 200, body: { name: 'Test Shop', url: 'https://shop.example', namespaces: s.wooActive ? ['wp/v2', 'wc/v3'] : ['wp/v2'] } };
  }
  if (!req.path.startsWith(ROOT)) return { status: 404, text: '<html><body>Not Found</body></html>' };
  const auth = authenticate(s, req);
  if ('status' in auth) return auth;
  const route = req.path.slice(ROOT.length);
  if (req.method === 'POST' && /^\/(orders|products)\/batch$/.test(route)) return { status: 200, body: {} };
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
