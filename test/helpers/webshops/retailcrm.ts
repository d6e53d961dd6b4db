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
}

export function retailcrmServer(state: Partial<RetailcrmState> & { apiKey: string }): TestServer & { state: RetailcrmState } {
  const s: RetailcrmState = {
    scopes: ['order_read', 'order_write', 'store_read', 'store_write'],
    credentials: ['/api/orders', '/api/orders/{externalId}', '/api/orders/{externalId}/edit', '/api/store/products', '/api/store/inventories/upload'],
    siteAccess: 'access_selective',
    sites: ['acme-shop'],
    orders: [],
    products: [],
    perSecond: 10,
    second: { at: 0, count: 0 },
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
  const SCOPE_OF: Record<string, string> = { '/api/orders': 'order_read', '/api/store/products': 'store_read' };
  const may = (m: string) => (s.scopes ? s.scopes.includes(SCOPE_OF[m] ?? m) : s.credentials.includes(m));
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
