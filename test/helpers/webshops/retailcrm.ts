import { TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * RetailCRM API v5 as documented for what Wharf reads: X-API-KEY (or apiKey in the query),
 * `{ success, …, pagination: { limit, totalCount, currentPage, totalPageCount } }`, limit 20/50/100,
 * filter[extendedStatus][], filter[sites][], filter[statusUpdatedAtFrom] in the account's local time
 * ("Y-m-d H:i:s"), GET /api/credentials, GET /api/v5/store/products; errors as
 * `{ success: false, errorMsg }`; more than `perSecond` requests in one second → 503 like RetailCRM.
 * GET /api/credentials answers as the official clients read it: `scopes` (the key's access scopes),
 * `credentials` (the deprecated method list), `siteAccess` and `sitesAvailable`
 * (https://github.com/retailcrm/api-client-php/blob/master/src/Model/Response/Api/Credentials.php).
 * Access is decided by the scopes, and a site-restricted key sees only its sites.
 *
 * Writes (issue 9), field names as the official PHP client sends them:
 * - POST /api/v5/store/inventories/upload, form `offers` (JSON, ≤ 250; each found by `id`, else
 *   `externalId`/`xmlId` within `site`) with `stores[{ code, available }]`, and `site`: sets the offer's
 *   stock per store (`state.stock`), answers `{ success, processedOffersCount, notFoundOffers }`;
 *   scope `store_write`; more than 250 offers or an unknown store code refused with `errorMsg`.
 * - GET /api/v5/orders/{id}?by=id|externalId (scope `order_read`): `{ success, order }`, 404 "Not found".
 * - POST /api/v5/orders/{id}/edit, form `by`, `site`, `order` (JSON): merges `shipped`, `shipmentStore`
 *   (a known store code), `shipmentDate` (Y-m-d), `delivery.data.trackNumber` into the order (scope
 *   `order_write`); answers `{ success, id, order }`. `state.edits` counts the accepted edits per order.
 * - GET /api/v5/reference/stores (scope `reference_read`): `{ success, stores: [{ code, name, type, active }] }`.
 * - GET /api/v5/reference/statuses (scope `reference_read`): `{ success, statuses: { code: { name, code, active, ordering, group } } }`.
 * The exact `errorMsg` texts of these refusals are not documented in what we could read (unverified).
 */

export interface RetailcrmState {
  apiKey: string;
  /** The key's access scopes; undefined = an older account that answers only `credentials`. */
  scopes?: string[];
  /** The deprecated method list of /api/credentials. */
  credentials: string[];
  siteAccess: 'access_full' | 'access_selective';
  /** With access_selective: the sites the key may use; with access_full every site of `allSites`. */
  sites: string[];
  orders: Record<string, unknown>[];
  products: Record<string, unknown>[];
  perSecond: number;
  second: { at: number; count: number };
  /** Warehouse (store) codes of the account (Settings > Warehouses). */
  stores: string[];
  /** Stock set by inventories/upload: offer id → store code → available. */
  stock: Record<string, Record<string, number>>;
  /** Accepted order edits, per order id (one shipment must make exactly one). */
  edits: Record<string, number>;
  /** Order statuses of the account (GET /reference/statuses, scope reference_read), code → name and group. */
  statuses: Record<string, { name: string; group: string }>;
}

export function retailcrmServer(state: Partial<RetailcrmState> & { apiKey: string }): TestServer & { state: RetailcrmState } {
  const s: RetailcrmState = {
    scopes: ['order_read', 'order_write', 'store_read', 'store_write', 'reference_read'],
    credentials: ['/api/orders', '/api/orders/{externalId}', '/api/orders/{externalId}/edit', '/api/store/products', '/api/store/inventories/upload'],
    siteAccess: 'access_selective',
    sites: ['acme-shop'],
    orders: [],
    products: [],
    perSecond: 10,
    second: { at: 0, count: 0 },
    stores: ['main-warehouse'],
    stock: {},
    edits: {},
    statuses: {
      new: { name: 'Новый', group: 'new' },
      'send-to-assembling': { name: 'Передано в комплектацию', group: 'assembling' },
      'cancel-other': { name: 'Отменен', group: 'cancel' },
      'no-product': { name: 'Нет в наличии', group: 'cancel' },
    },
    ...state,
  };
  const server = new TestServer((req) => handle(s, req)) as TestServer & { state: RetailcrmState };
  server.state = s;
  return server;
}

const fail = (status: number, errorMsg: string): Reply => ({ status, body: { success: false, errorMsg } });

function handle(s: RetailcrmState, req: SeenRequest): Reply {
  const key = req.headers['x-api-key'] ?? req.query.get('apiKey');
  if (!key) return fail(403, '"apiKey" is missing.');
  if (key !== s.apiKey) return fail(403, 'Wrong "apiKey" value.');
  const sec = Math.floor(Date.now() / 1000);
  if (s.second.at !== sec) s.second = { at: sec, count: 0 };
  if (++s.second.count > s.perSecond) return fail(503, 'Service Unavailable: too many requests');
  if (req.path === '/api/credentials') {
    return { status: 200, body: { success: true, ...(s.scopes ? { scopes: s.scopes } : {}), credentials: s.credentials, siteAccess: s.siteAccess, ...(s.siteAccess === 'access_selective' ? { sitesAvailable: s.sites } : {}) } };
  }
  const SCOPE_OF: Record<string, string> = { '/api/orders': 'order_read', '/api/orders/{externalId}': 'order_read', '/api/orders/{externalId}/edit': 'order_write', '/api/store/products': 'store_read', '/api/store/inventories/upload': 'store_write' };
  const may = (m: string) => (s.scopes ? s.scopes.includes(SCOPE_OF[m] ?? m) : s.credentials.includes(m));
  if (req.path === '/api/v5/reference/statuses') {
    if (!(s.scopes ?? ['reference_read']).includes('reference_read')) return fail(403, 'Access denied.');
    return { status: 200, body: { success: true, statuses: Object.fromEntries(Object.entries(s.statuses).map(([code, st], i) => [code, { name: st.name, code, active: true, ordering: (i + 1) * 10, group: st.group }])) } };
  }
  if (req.path === '/api/v5/reference/stores') {
    if (!(s.scopes ?? ['reference_read']).includes('reference_read')) return fail(403, 'Access denied.');
    return { status: 200, body: { success: true, stores: s.stores.map((code) => ({ code, name: `Warehouse ${code}`, type: 'store-type-warehouse', active: true })) } };
  }
  if (req.path === '/api/v5/store/inventories/upload') return upload(s, req, may('/api/store/inventories/upload'));
  const one = /^\/api\/v5\/orders\/([^/]+)(\/edit)?$/.exec(req.path);
  if (one && one[1] !== 'history') return one[2] ? editOrder(s, req, decodeURIComponent(one[1]!), may('/api/orders/{externalId}/edit')) : getOrder(s, req, decodeURIComponent(one[1]!), may('/api/orders/{externalId}'));
  const limit = Number(req.query.get('limit') ?? 20);
  const page = Number(req.query.get('page') ?? 1);
  if (![20, 50, 100].includes(limit)) return fail(400, 'Parameter "limit" must be one of 20, 50, 100');
  const paged = (list: unknown[], key: string): Reply => ({
    status: 200,
    body: { success: true, pagination: { limit, totalCount: list.length, currentPage: page, totalPageCount: Math.ceil(list.length / limit) }, [key]: list.slice((page - 1) * limit, page * limit) },
  });
  if (req.path === '/api/v5/orders') {
    if (!may('/api/orders')) return fail(403, 'Access denied.');
    const statuses = req.query.getAll('filter[extendedStatus][]');
    const sites = req.query.getAll('filter[sites][]');
    const from = req.query.get('filter[statusUpdatedAtFrom]');
    if (s.siteAccess === 'access_selective' && sites.some((x) => !s.sites.includes(x))) return fail(403, 'Access to the site is forbidden');
    const list = s.orders.filter((o) => (!statuses.length || statuses.includes(String(o.status))) && (!sites.length || sites.includes(String(o.site))) && (!from || String(o.statusUpdatedAt) >= from));
    // RetailCRM lists newest first (by id), not by status time.
    return paged([...list].sort((a, b) => Number(b.id) - Number(a.id)), 'orders');
  }
  if (req.path === '/api/v5/store/products') {
    if (!may('/api/store/products')) return fail(403, 'Access denied.');
    return paged(s.products, 'products');
  }
  return { status: 404, body: { success: false, errorMsg: 'Method not found' } };
}

const form = (req: SeenRequest): URLSearchParams => {
  if (!/application\/x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? ''))) return new URLSearchParams();
  return new URLSearchParams(req.body);
};

const jsonField = (f: URLSearchParams, name: string): unknown => {
  const raw = f.get(name);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
};

function upload(s: RetailcrmState, req: SeenRequest, allowed: boolean): Reply {
  if (req.method !== 'POST') return fail(405, 'Method Not Allowed');
  if (!allowed) return fail(403, 'Access denied.');
  const f = form(req);
  const offers = jsonField(f, 'offers');
  if (!Array.isArray(offers) || !offers.length) return fail(400, 'Parameter \'offers\' is missing or is not an array');
  if (offers.length > 250) return fail(400, 'Too many offers in one request: at most 250 are allowed');
  const site = f.get('site');
  if (site && s.siteAccess === 'access_selective' && !s.sites.includes(site)) return fail(403, 'Access to the site is forbidden');
  const all = s.products.flatMap((p) => ((p.offers as Record<string, unknown>[] | undefined) ?? []));
  const notFoundOffers: unknown[] = [];
  let processedOffersCount = 0;
  for (const o of offers as Record<string, unknown>[]) {
    const stores = o.stores as { code?: unknown; available?: unknown }[] | undefined;
    for (const st of stores ?? []) {
      if (!s.stores.includes(String(st.code))) return fail(400, `Store with code "${String(st.code)}" not found`);
      if (typeof st.available !== 'number' || st.available < 0) return fail(400, 'Errors in the input parameters: stores[].available must be a number >= 0');
    }
    const found = o.id !== undefined ? all.find((x) => x.id === o.id) : all.find((x) => (o.externalId !== undefined && x.externalId === o.externalId) || (o.xmlId !== undefined && x.xmlId === o.xmlId));
    if (!found) {
      notFoundOffers.push(Object.fromEntries(['id', 'externalId', 'xmlId'].filter((k) => o[k] !== undefined).map((k) => [k, o[k]])));
      continue;
    }
    const per = (s.stock[String(found.id)] ??= {});
    for (const st of stores ?? []) per[String(st.code)] = st.available as number;
    processedOffersCount++;
  }
  return { status: 200, body: { success: true, processedOffersCount, notFoundOffers } };
}

function findOrder(s: RetailcrmState, ref: string, by: string | null, site: string | null): Record<string, unknown> | undefined {
  return s.orders.find((o) => (by === 'externalId' ? String(o.externalId) === ref : String(o.id) === ref) && (!site || o.site === site));
}

function getOrder(s: RetailcrmState, req: SeenRequest, ref: string, allowed: boolean): Reply {
  if (!allowed) return fail(403, 'Access denied.');
  const by = req.query.get('by') ?? 'externalId';
  if (!['id', 'externalId'].includes(by)) return fail(400, 'Value of "by" must be "id" or "externalId"');
  const order = findOrder(s, ref, by, req.query.get('site'));
  if (!order) return fail(404, 'Not found');
  return { status: 200, body: { success: true, order: structuredClone(order) } };
}

function editOrder(s: RetailcrmState, req: SeenRequest, ref: string, allowed: boolean): Reply {
  if (req.method !== 'POST') return fail(405, 'Method Not Allowed');
  if (!allowed) return fail(403, 'Access denied.');
  const f = form(req);
  const by = f.get('by') ?? 'externalId';
  if (!['id', 'externalId'].includes(by)) return fail(400, 'Value of "by" must be "id" or "externalId"');
  const order = findOrder(s, ref, by, f.get('site'));
  if (!order) return fail(404, 'Not found');
  const edit = jsonField(f, 'order');
  if (!edit || typeof edit !== 'object') return fail(400, 'Parameter \'order\' is missing');
  const e = edit as { shipped?: unknown; shipmentStore?: unknown; shipmentDate?: unknown; delivery?: { data?: { trackNumber?: unknown } } };
  const errors: Record<string, string> = {};
  if (e.shipmentStore !== undefined && !s.stores.includes(String(e.shipmentStore))) errors.shipmentStore = 'Store not found';
  if (e.shipmentDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(e.shipmentDate))) errors.shipmentDate = 'This value is not a valid date.';
  if (e.shipped !== undefined && typeof e.shipped !== 'boolean') errors.shipped = 'This value should be of type bool.';
  if (Object.keys(errors).length) return { status: 400, body: { success: false, errorMsg: 'Order is not loaded', errors } };
  if (e.shipped !== undefined) order.shipped = e.shipped;
  if (e.shipmentStore !== undefined) order.shipmentStore = e.shipmentStore;
  if (e.shipmentDate !== undefined) order.shipmentDate = e.shipmentDate;
  if (e.delivery?.data?.trackNumber !== undefined) {
    const delivery = (order.delivery ??= {}) as Record<string, unknown>;
    delivery.data = { ...((delivery.data as Record<string, unknown> | undefined) ?? {}), trackNumber: e.delivery.data.trackNumber };
  }
  s.edits[String(order.id)] = (s.edits[String(order.id)] ?? 0) + 1;
  return { status: 200, body: { success: true, id: order.id, order: structuredClone(order) } };
}

/** A realistic RetailCRM order (API v5 shape); dates in the account's local time. */
export function retailcrmOrder(o: { id: number; statusUpdatedAt: string; status?: string; site?: string; lines?: { article: string; qty: number; price: number }[]; housing?: string }): Record<string, unknown> {
  const lines = o.lines ?? [{ article: `ART-${o.id}`, qty: 1, price: 1490 }];
  const summ = lines.reduce((n, l) => n + l.qty * l.price, 0);
  return {
    id: o.id,
    number: `${o.id}A`,
    externalId: `web-${o.id}`,
    orderMethod: 'shopping-cart',
    countryIso: 'RU',
    createdAt: o.statusUpdatedAt,
    statusUpdatedAt: o.statusUpdatedAt,
    summ,
    currency: 'RUB',
    totalSumm: summ + 300,
    firstName: 'Ivan',
    lastName: 'Petrov',
    email: 'ivan.petrov@example.ru',
    phone: '+7 495 555-01-02',
    site: o.site ?? 'acme-shop',
    status: o.status ?? 'send-to-assembling',
    shipped: false,
    customerComment: 'Позвонить за час',
    delivery: {
      code: 'cdek',
      cost: 300,
      address: { index: '344065', countryIso: 'RU', region: 'Rostovskaya oblast', city: 'Rostov-Na-Donu', street: 'ul. 50-letiya Rostselmasha', building: '2', ...(o.housing ? { housing: o.housing } : {}), flat: '6', text: `ul. 50-letiya Rostselmasha, 2${o.housing ? ` korp. ${o.housing}` : ''}/6` },
    },
    items: lines.map((l, i) => ({
      id: o.id * 10 + i,
      initialPrice: l.price,
      discountTotal: 0,
      quantity: l.qty,
      status: 'new',
      offer: { id: 1800 + i, externalId: `ext-${l.article}`, xmlId: `xml-${l.article}`, article: l.article, name: `Item ${l.article}`, displayName: `Item ${l.article}` },
    })),
  };
}
