import { basicCredentials, TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * Lightspeed eCom (C-Series) as documented for the resources Wharf reads: basic auth key:secret,
 * `/{language}/<resource>.json` wrapped in `{ "<resource>": … }`, `limit` ≤ 250 and `page`, the
 * status / updated_at_min order filters, `/orders/{id}/products.json`, and the three request windows
 * in `X-RateLimit-Limit/Remaining/Reset` (300/3000/12000 per 5 min / hour / day by default), 429
 * (with those headers) beyond them.
 *
 * Writes, as Wharf's push uses them: `PUT /variants/{id}.json {"variant":{…}}` (stockLevel an integer)
 * and `PUT /shipments/{id}.json {"shipment":{…}}` (status not_shipped|shipped, trackingCode, notify
 * flags), with `GET /orders/{id}.json`, `GET /shipments.json?order=ID` and
 * `GET /shipments/{id}/products.json`. Lightspeed itself creates an order's shipments (the API can only
 * update them), so tests seed them. A key without write access to products/orders gets 403; a shipment
 * of a cancelled order cannot be updated (400; Lightspeed's exact words there are unverified, these are
 * the test server's). Marking the last shipment shipped moves the order to completed_shipped.
 * `dropNext` makes the next matching write apply and then drop the connection without answering.
 */

export interface LightspeedState {
  key: string;
  secret: string;
  languages: string[];
  orders: Record<string, unknown>[];
  orderProducts: Map<number, Record<string, unknown>[]>;
  variants: Record<string, unknown>[];
  permissions?: Record<string, boolean>;
  /** Write permissions of the key (both true unless a test takes one away). */
  write: { orders: boolean; products: boolean };
  shipments: LsTestShipment[];
  /** Every accepted shipment update, in order (a test counts them: one parcel, one update). */
  shipmentUpdates: { id: number; body: Record<string, unknown> }[];
  /** The next `count` writes whose path contains `pathIncludes` are applied, then the connection drops. */
  drop: { count: number; pathIncludes: string };
  windows: { limit: number; seconds: number; used: number; start: number }[];
}

export interface LsTestShipment {
  id: number;
  number: string;
  orderId: number;
  status: 'not_shipped' | 'shipped';
  trackingCode: string;
  doNotifyShipped: boolean;
  doNotifyTrackingCode: boolean;
  products: { sku: string; articleCode: string; quantity: number }[];
}

export function lightspeedServer(state: Partial<LightspeedState> & { key: string; secret: string }): TestServer & { state: LightspeedState } {
  const s: LightspeedState = {
    languages: ['nl', 'en'],
    orders: [],
    orderProducts: new Map(),
    variants: [],
    write: { orders: true, products: true },
    shipments: [],
    shipmentUpdates: [],
    drop: { count: 0, pathIncludes: '' },
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
  const fail = (status: number, message: string): Reply => ({ status, headers: rate.headers, body: { error: { code: status, method: req.method, request: req.path, message } } });
  const one = /^\/(orders|variants|shipments)\/(\d+)$/.exec(route);
  if (req.method === 'GET' && one?.[1] === 'orders') {
    const order = s.orders.find((o) => o.id === Number(one[2]));
    return order ? ok({ order }) : fail(404, 'Not found');
  }
  if (req.method === 'GET' && route === '/shipments') {
    const orderId = req.query.get('order');
    return ok({ shipments: slice(s.shipments.filter((x) => !orderId || x.orderId === Number(orderId)).map(shipmentJson)) });
  }
  const sp = /^\/shipments\/(\d+)\/products$/.exec(route);
  if (req.method === 'GET' && sp) {
    const sh = s.shipments.find((x) => x.id === Number(sp[1]));
    return sh ? ok({ shipmentProducts: slice(sh.products.map((p, i) => ({ id: sh.id * 100 + i, ...p, quantityShipped: sh.status === 'shipped' ? p.quantity : 0 }))) }) : fail(404, 'Not found');
  }
  if (req.method === 'PUT' && one && one[1] !== 'orders') {
    const dropping = (): boolean => {
      if (s.drop.count > 0 && req.path.includes(s.drop.pathIncludes)) {
        s.drop.count--;
        return true;
      }
      return false;
    };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      return fail(400, 'Invalid JSON');
    }
    const id = Number(one[2]);
    if (one[1] === 'variants') {
      if (!s.write.products) return fail(403, 'Forbidden');
      const v = s.variants.find((x) => x.id === id);
      if (!v) return fail(404, 'Not found');
      const fields = body.variant;
      if (!fields || typeof fields !== 'object') return fail(400, 'Missing variant');
      const level = (fields as Record<string, unknown>).stockLevel;
      if (level !== undefined && !Number.isInteger(level)) return fail(400, 'stockLevel must be an integer');
      Object.assign(v, fields, { updatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00') });
      return dropping() ? { status: 200, drop: true } : ok({ variant: v });
    }
    if (!s.write.orders) return fail(403, 'Forbidden');
    const sh = s.shipments.find((x) => x.id === id);
    if (!sh) return fail(404, 'Not found');
    const fields = body.shipment as Record<string, unknown> | undefined;
    if (!fields || typeof fields !== 'object') return fail(400, 'Missing shipment');
    const order = s.orders.find((o) => o.id === sh.orderId);
    if (order?.status === 'cancelled') return fail(400, 'Order is cancelled');
    if (fields.status !== undefined && fields.status !== 'shipped' && fields.status !== 'not_shipped') return fail(400, `Invalid status ${String(fields.status)}`);
    if (Object.keys(fields).length === 0) return ok({ shipment: shipmentJson(sh) });
    for (const k of ['status', 'trackingCode', 'doNotifyShipped', 'doNotifyTrackingCode'] as const) if (fields[k] !== undefined) Object.assign(sh, { [k]: fields[k] });
    s.shipmentUpdates.push({ id, body: fields });
    if (order) {
      const all = s.shipments.filter((x) => x.orderId === sh.orderId);
      const shipped = all.filter((x) => x.status === 'shipped').length;
      order.shipmentStatus = shipped === all.length ? 'shipped' : shipped > 0 ? 'partially_shipped' : 'not_shipped';
      if (shipped === all.length) order.status = 'completed_shipped';
    }
    return dropping() ? { status: 200, drop: true } : ok({ shipment: shipmentJson(sh) });
  }
  return { status: 404, headers: rate.headers, body: { error: { code: 404, message: 'Not found' } } };
}

function shipmentJson(sh: LsTestShipment): Record<string, unknown> {
  return {
    id: sh.id,
    number: sh.number,
    status: sh.status,
    trackingCode: sh.trackingCode,
    doNotifyShipped: sh.doNotifyShipped,
    doNotifyReadyForPickup: false,
    doNotifyTrackingCode: sh.doNotifyTrackingCode,
    order: { resource: { id: sh.orderId, url: `orders/${sh.orderId}` } },
    products: { resource: { id: false, url: `shipments/${sh.id}/products` } },
  };
}

/** A not-yet-shipped shipment of an order, holding the given lines (as Lightspeed creates it with the order). */
export function lightspeedShipment(id: number, orderId: number, lines: { sku: string; qty: number }[]): LsTestShipment {
  return { id, number: `SHIP${String(id).padStart(5, '0')}`, orderId, status: 'not_shipped', trackingCode: '', doNotifyShipped: false, doNotifyTrackingCode: false, products: lines.map((l) => ({ sku: l.sku, articleCode: l.sku, quantity: l.qty })) };
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
