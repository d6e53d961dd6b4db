import { basicCredentials, TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * Lightspeed eCom (C-Series) as documented for the resources Wharf reads: basic auth key:secret,
 * `/{language}/<resource>.json` wrapped in `{ "<resource>": … }`, `limit` ≤ 250 and `page`, the
 * status / updated_at_min order filters, `/orders/{id}/products.json`, and the three request windows
 * in `X-RateLimit-Limit/Remaining/Reset` (300/3000/12000 per 5 min / hour / day by default), 429
 * beyond them.
 */

export interface LightspeedState {
  key: string;
  secret: string;
  languages: string[];
  orders: Record<string, unknown>[];
  orderProducts: Map<number, Record<string, unknown>[]>;
  variants: Record<string, unknown>[];
  permissions?: Record<string, boolean>;
  windows: { limit: number; seconds: number; used: number; start: number }[];
}

export function lightspeedServer(state: Partial<LightspeedState> & { key: string; secret: string }): TestServer & { state: LightspeedState } {
  const s: LightspeedState = {
    languages: ['nl', 'en'],
    orders: [],
    orderProducts: new Map(),
    variants: [],
    windows: [
      { limit: 300, seconds: 300, used: 0, start: Date.now() },
      { limit: 3000, seconds: 3600, used: 0, start: Date.now() },
      { limit: 12000, seconds: 86400, used: 0, start: Date.now() },
    ],
    ...state,
  };
  const server = new TestServer((req) => handle(s, req)) as TestServer & { state: LightspeedState };
  server.state = s;
  return server;
}

function rateHeaders(s: LightspeedState): { headers: Record<string, string>; exceeded: boolean } {
  const now = Date.now();
  let exceeded = false;
  for (const w of s.windows) {
    if (now - w.start >= w.seconds * 1000) {
      w.start = now;
      w.used = 0;
    }
    w.used++;
    if (w.used > w.limit) exceeded = true;
  }
  return {
    exceeded,
    headers: {
      'x-ratelimit-limit': s.windows.map((w) => w.limit).join('/'),
      'x-ratelimit-remaining': s.windows.map((w) => Math.max(0, w.limit - w.used)).join('/'),
      'x-ratelimit-reset': s.windows.map((w) => Math.max(0, Math.ceil((w.start + w.seconds * 1000 - now) / 1000))).join('/'),
    },
  };
}

function handle(s: LightspeedState, req: SeenRequest): Reply {
  const creds = basicCredentials(req.headers.authorization);
  const m = /^\/([a-z]{2})(\/.*)\.json$/.exec(req.path);
  if (!m || !s.languages.includes(m[1]!)) return { status: 404, body: { error: { code: 404, method: req.method, request: req.path, message: 'Not found' } } };
  if (!creds || creds[0] !== s.key || creds[1] !== s.secret) return { status: 401, body: { error: { code: 401, method: req.method, request: req.path, message: 'Unauthorized' } } };
  const rate = rateHeaders(s);
  if (rate.exceeded) return { status: 429, headers: rate.headers, body: { error: { code: 429, message: 'Too many requests' } } };
  const ok = (body: unknown): Reply => ({ status: 200, headers: rate.headers, body });
  const route = m[2]!;
  const limit = Number(req.query.get('limit') ?? 50);
  const page = Number(req.query.get('page') ?? 1);
  if (limit > 250) return { status: 400, headers: rate.headers, body: { error: { code: 400, message: 'Limit can not be higher than 250' } } };
  const slice = <T>(all: T[]) => all.slice((page - 1) * limit, page * limit);
  if (route === '/shop') return ok({ shop: { id: 1, title: 'Fietsenwinkel Test', mainDomain: 'shop.example' } });
  if (route === '/account/permissions') return s.permissions ? ok({ accountPermissions: s.permissions }) : { status: 404, headers: rate.headers, body: { error: { code: 404, message: 'Not found' } } };
  if (route === '/orders') {
    const status = req.query.get('status');
    const min = req.query.get('updated_at_min');
    const list = s.orders.filter((o) => (!status || o.status === status) && (!min || Date.parse(String(o.updatedAt)) >= Date.parse(min)));
    return ok({ orders: slice(list) });
  }
  const op = /^\/orders\/(\d+)\/products$/.exec(route);
  if (op) return ok({ orderProducts: slice(s.orderProducts.get(Number(op[1])) ?? []) });
  if (route === '/variants') return ok({ variants: slice(s.variants) });
  return { status: 404, headers: rate.headers, body: { error: { code: 404, message: 'Not found' } } };
}

/** A realistic Lightspeed eCom order and its order products (field names as the API uses them). */
export function lightspeedOrder(o: { id: number; updatedAt: string; status?: string; lines?: { sku: string; qty: number; price: number; ean?: string }[]; street?: string; number?: string; extension?: string }): {
  order: Record<string, unknown>;
  products: Record<string, unknown>[];
} {
  const lines = o.lines ?? [{ sku: `LS-${o.id}`, qty: 1, price: 34.95 }];
  // Rounded to cents as the API sends it (a float sum would carry 41.900000000000006 into the JSON).
  const total = Math.round((lines.reduce((n, l) => n + l.qty * l.price, 0) + 6.95) * 100) / 100;
  return {
    order: {
      id: o.id,
      createdAt: o.updatedAt,
      updatedAt: o.updatedAt,
      number: `ORD${String(o.id).padStart(5, '0')}`,
      status: o.status ?? 'processing_awaiting_shipment',
      paymentStatus: 'paid',
      shipmentStatus: 'not_shipped',
      priceIncl: total,
      shipmentPriceIncl: 6.95,
      shipmentTitle: 'DHL Parcel',
      currency: 'EUR',
      email: 'joris@example.be',
      firstname: 'Joris',
      lastname: 'Peeters',
      phone: '+32 3 555 01 23',
      companyName: '',
      addressShippingName: 'Joris Peeters',
      addressShippingCompany: '',
      addressShippingStreet: o.street ?? 'Meir',
      addressShippingStreet2: '',
      addressShippingNumber: o.number ?? '24',
      addressShippingExtension: o.extension ?? 'bus 3',
      addressShippingZipcode: '2000',
      addressShippingCity: 'Antwerpen',
      addressShippingRegion: '',
      addressShippingCountry: { id: 'be', code: 'be', title: 'België' },
      addressBillingName: 'Joris Peeters',
      addressBillingStreet: o.street ?? 'Meir',
      addressBillingNumber: o.number ?? '24',
      addressBillingExtension: o.extension ?? 'bus 3',
      addressBillingZipcode: '2000',
      addressBillingCity: 'Antwerpen',
      addressBillingCountry: { id: 'be', code: 'be', title: 'België' },
      comment: '',
      products: { resource: { id: false, url: `orders/${o.id}/products`, link: `https://api.webshopapp.com/nl/orders/${o.id}/products.json` } },
    },
    products: lines.map((l, i) => ({
      id: o.id * 10 + i,
      productTitle: `Fietsbel ${l.sku}`,
      variantTitle: 'Zwart',
      quantityOrdered: l.qty,
      priceIncl: l.price,
      articleCode: l.sku,
      ean: l.ean ?? '',
      sku: l.sku,
      variant: { resource: { id: 900 + i, url: `variants/${900 + i}` } },
    })),
  };
}
