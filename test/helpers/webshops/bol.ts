import { basicCredentials, TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * bol.com as documented: OAuth2 client credentials at /token (Basic client id:secret →
 * { access_token, token_type: "Bearer", expires_in }), the Retailer API v10 only for
 * `Accept: application/vnd.retailer.v10+json` with a live bearer token, GET /retailer/orders
 * (50 a page, `{}` past the last page; status OPEN|SHIPPED|ALL, fulfilment-method,
 * change-interval-minute, latest-change-date), GET /retailer/orders/{id}, and the offer export
 * (POST → process status → GET /shared/process-status/{id} → CSV). Rate limits per endpoint as bol
 * documents them: every Retailer API answer carries x-ratelimit-limit/-remaining/-reset (seconds until
 * the budget refills); a request over the budget gets 429 with Retry-After
 * (https://api.bol.com/retailer/public/Retailer-API/ratelimits.html).
 */

export interface BolState {
  clientId: string;
  clientSecret: string;
  tokenLifetime: number;
  tokens: Map<string, number>;
  orders: Record<string, unknown>[];
  offersCsv: string;
  /** Polls answered PENDING before an export succeeds. */
  exportPolls: number;
  processes: Map<string, { polls: number }>;
  /** The server's clock (tests move it to make the change filters deterministic). */
  now: () => number;
  /** Budget per endpoint (`GET /retailer/orders/*`): at most `max` requests per fixed window of `windowMs`. */
  budgets: Map<string, { max: number; windowMs: number }>;
  /** Requests counted per endpoint in its current window (wall clock). */
  windows: Map<string, { start: number; count: number }>;
}

/** The endpoint a request counts against: a collection, or any one of its items (`…/*`). */
export function bolServerEndpoint(method: string, path: string): string {
  return `${method} ${path.replace(/^(\/retailer\/orders|\/retailer\/offers\/export|\/shared\/process-status)\/[^/]+$/, '$1/*')}`;
}

const MEDIA = 'application/vnd.retailer.v10+json';

export function bolServer(state: Partial<BolState> & { clientId: string; clientSecret: string }): TestServer & { state: BolState; revokeTokens(): void } {
  const s: BolState = { tokenLifetime: 299, tokens: new Map(), orders: [], offersCsv: '', exportPolls: 2, processes: new Map(), now: Date.now, budgets: new Map(), windows: new Map(), ...state };
  const server = new TestServer((req) => withRateLimit(s, req, handle)) as TestServer & { state: BolState; revokeTokens(): void };
  server.state = s;
  server.revokeTokens = () => s.tokens.clear();
  return server;
}

/** Counts the request against its endpoint's budget; answers 429 over it; adds the x-ratelimit headers. */
function withRateLimit(s: BolState, req: SeenRequest, next: (s: BolState, req: SeenRequest) => Reply): Reply {
  if (req.path === '/token') return next(s, req);
  const key = bolServerEndpoint(req.method, req.path);
  const budget = s.budgets.get(key);
  if (!budget) return next(s, req);
  const now = Date.now();
  let w = s.windows.get(key);
  if (!w || now - w.start >= budget.windowMs) s.windows.set(key, (w = { start: now, count: 0 }));
  const reset = String(Math.max(1, Math.ceil((w.start + budget.windowMs - now) / 1000)));
  w.count++;
  const headers = { 'x-ratelimit-limit': String(budget.max), 'x-ratelimit-remaining': String(Math.max(0, budget.max - w.count)), 'x-ratelimit-reset': reset };
  if (w.count > budget.max) {
    const r = problem(429, 'Too Many Requests', `Too many requests to ${key}; retry after ${reset} s.`);
    return { ...r, headers: { ...r.headers, ...headers, 'retry-after': reset } };
  }
  const r = next(s, req);
  return { ...r, headers: { ...r.headers, ...headers } };
}

const problem = (status: number, title: string, detail: string): Reply => ({ status, headers: { 'content-type': 'application/vnd.retailer.v10+json+problem' }, body: { type: 'https://api.bol.com/problems', title, status, detail } });

function handle(s: BolState, req: SeenRequest): Reply {
  if (req.path === '/token') {
    const c = basicCredentials(req.headers.authorization);
    if (req.method !== 'POST' || req.query.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (!c || c[0] !== s.clientId || c[1] !== s.clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } };
    const token = `tok-${Math.random().toString(36).slice(2)}`;
    s.tokens.set(token, Date.now() + s.tokenLifetime * 1000);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: s.tokenLifetime, scope: 'RETAILER' } };
  }
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const exp = bearer ? s.tokens.get(bearer) : undefined;
  if (!exp || exp < Date.now()) return problem(401, 'Unauthorized', 'Request unauthorized; the access token is invalid or expired.');
  const csv = req.path.startsWith('/retailer/offers/export/') && req.method === 'GET';
  if (req.headers.accept !== (csv ? 'application/vnd.retailer.v10+csv' : MEDIA)) return problem(406, 'Not Acceptable', 'Unsupported Accept header');

  if (req.path === '/retailer/orders' && req.method === 'GET') return listOrders(s, req);
  const one = /^\/retailer\/orders\/([^/]+)$/.exec(req.path);
  if (one) {
    const o = s.orders.find((x) => x.orderId === decodeURIComponent(one[1]!));
    return o ? { status: 200, body: o } : problem(404, 'Not Found', `Order ${one[1]} not found`);
  }
  if (req.path === '/retailer/offers/export' && req.method === 'POST') {
    const id = String(1000 + s.processes.size);
    s.processes.set(id, { polls: 0 });
    return { status: 202, body: { processStatusId: id, eventType: 'CREATE_OFFER_EXPORT', status: 'PENDING', createTimestamp: new Date().toISOString() } };
  }
  const ps = /^\/shared\/process-status\/(\d+)$/.exec(req.path);
  if (ps) {
    const p = s.processes.get(ps[1]!);
    if (!p) return problem(404, 'Not Found', 'no such process');
    p.polls++;
    return { status: 200, body: { processStatusId: ps[1], eventType: 'CREATE_OFFER_EXPORT', status: p.polls > s.exportPolls ? 'SUCCESS' : 'PENDING', entityId: p.polls > s.exportPolls ? `report-${ps[1]}` : undefined } };
  }
  if (csv) return { status: 200, headers: { 'content-type': 'application/vnd.retailer.v10+csv' }, text: s.offersCsv };
  return problem(404, 'Not Found', 'Unknown resource');
}

interface Item {
  quantity: number;
  quantityShipped?: number;
  quantityCancelled?: number;
  latestChangedDateTime: string;
  fulfilment: { method: string };
}

function listOrders(s: BolState, req: SeenRequest): Reply {
  const status = req.query.get('status') ?? 'OPEN';
  const method = req.query.get('fulfilment-method') ?? 'FBR';
  const interval = req.query.get('change-interval-minute');
  const day = req.query.get('latest-change-date');
  const page = Number(req.query.get('page') ?? 1);
  if (interval && Number(interval) > 60) return problem(400, 'Bad Request', 'change-interval-minute must be at most 60');
  const open = (i: Item) => i.quantity - (i.quantityShipped ?? 0) - (i.quantityCancelled ?? 0) > 0;
  const list = s.orders.filter((o) => {
    const items = (o.orderItems as Item[]).filter((i) => method === 'ALL' || i.fulfilment.method === method);
    if (!items.length) return false;
    if (status === 'OPEN' && !items.some(open)) return false;
    if (status === 'SHIPPED' && !items.some((i) => (i.quantityShipped ?? 0) > 0)) return false;
    const changed = Math.max(...items.map((i) => Date.parse(i.latestChangedDateTime)));
    if (interval && changed < s.now() - Number(interval) * 60_000) return false;
    if (day && new Date(changed).toISOString().slice(0, 10) !== day) return false;
    return true;
  });
  const slice = list.slice((page - 1) * 50, page * 50);
  if (!slice.length) return { status: 200, body: {} };
  return {
    status: 200,
    body: {
      orders: slice.map((o) => ({
        orderId: o.orderId,
        orderPlacedDateTime: o.orderPlacedDateTime,
        orderItems: (o.orderItems as (Item & { orderItemId: string; product: { ean: string }; cancellationRequest: boolean })[]).map((i) => ({
          orderItemId: i.orderItemId, ean: i.product.ean, fulfilmentMethod: i.fulfilment.method, fulfilmentStatus: open(i) ? 'OPEN' : 'HANDLED',
          quantity: i.quantity, quantityShipped: i.quantityShipped ?? 0, quantityCancelled: i.quantityCancelled ?? 0, cancellationRequest: i.cancellationRequest, latestChangedDateTime: i.latestChangedDateTime,
        })),
      })),
    },
  };
}

/** A realistic bol v10 order (the detail shape of GET /retailer/orders/{id}). */
export function bolOrder(o: { id: string; changed: string; placed?: string; pickupPoint?: boolean; cancelled?: boolean; lines?: { ean: string; qty: number; price: number; reference?: string; cancellationRequest?: boolean }[] }): Record<string, unknown> {
  const lines = o.lines ?? [{ ean: '8712345678906', qty: 1, price: 24.99, reference: `REF-${o.id}` }];
  const address = {
    salutation: 'FEMALE', firstName: 'Eva', surname: 'Bakker', streetName: 'Kerkstraat', houseNumber: '12', houseNumberExtension: 'A',
    extraAddressInformation: '', zipCode: '3581 BD', city: 'Utrecht', countryCode: 'NL', email: 'eva.bakker@verkopen.bol.com', company: '',
  };
  return {
    orderId: o.id,
    pickupPoint: o.pickupPoint ?? false,
    orderPlacedDateTime: o.placed ?? o.changed,
    shipmentDetails: { ...address, ...(o.pickupPoint ? { pickupPointName: 'PostNL punt: Primera Utrecht' } : {}), deliveryPhoneNumber: '0612345678', language: 'nl' },
    billingDetails: { ...address, vatNumber: '', kvkNumber: '', orderReference: '' },
    orderItems: lines.map((l, i) => ({
      orderItemId: `${o.id}${i}`,
      cancellationRequest: l.cancellationRequest ?? false,
      fulfilment: { method: 'FBR', distributionParty: 'RETAILER', latestDeliveryDate: o.changed.slice(0, 10), timeFrameType: 'REGULAR' },
      offer: { offerId: `offer-${l.ean}`, reference: l.reference ?? '' },
      product: { ean: l.ean, title: `Artikel ${l.ean}` },
      quantity: l.qty,
      quantityShipped: 0,
      quantityCancelled: o.cancelled ? l.qty : 0,
      unitPrice: l.price,
      totalPrice: Math.round(l.price * l.qty * 100) / 100,
      commission: 1.5,
      latestChangedDateTime: o.changed,
    })),
  };
}
