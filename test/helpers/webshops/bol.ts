import { basicCredentials, TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * bol.com as documented: OAuth2 client credentials at /token (Basic client id:secret →
 * { access_token, token_type: "Bearer", expires_in }), the Retailer API v10 only for
 * `Accept: application/vnd.retailer.v10+json` with a live bearer token, GET /retailer/orders
 * (50 a page, `{}` past the last page; status OPEN|SHIPPED|ALL, fulfilment-method,
 * change-interval-minute, latest-change-date), GET /retailer/orders/{id}, and the Offers API v11 list
 * `GET /retailer/offers` (only with `Accept: application/vnd.retailer.v11+json`, 406 with the v10 type;
 * `page-size` 1–100, else 400; an opaque `cursor`, `page.nextCursor` until the last page; an unknown
 * cursor is a 400; OfferResponse records; offers-v11.yaml get-offers). Rate limits per endpoint as bol
 * documents them: every Retailer API answer carries x-ratelimit-limit/-remaining/-reset (seconds until
 * the budget refills); a request over the budget gets 429 with Retry-After
 * (https://api.bol.com/retailer/public/Retailer-API/ratelimits.html).
 *
 * Writes (issue 9): the Offers API v11 `PATCH /retailer/offers/{offer-id}` (only with
 * `application/vnd.retailer.v11+json` as Accept and Content-Type; `{stock:{amount, managedByRetailer}}`;
 * 204, 404 for an unknown offer, 400 problem+json with violations), `POST /retailer/shipments` (202 and a
 * process status that stays PENDING for `processPolls` looks, then SUCCESS — and only then the items
 * count as shipped and the shipment is listed — or FAILURE with an errorMessage for an item that is
 * cancelled, has a cancellation request or has less left to ship), `GET /retailer/shipments?order-id=`,
 * `GET /shared/process-status?entity-id=&event-type=`, process ids that expire (404), a read-only
 * credential whose writes get bol's 403 problem, and `dropNext`: apply a write, then drop the
 * connection without answering.
 */

export interface BolState {
  clientId: string;
  clientSecret: string;
  tokenLifetime: number;
  tokens: Map<string, number>;
  /** A second credential that may only read (fine-grained access "read"): its writes get 403. */
  readOnly?: { clientId: string; clientSecret: string };
  readOnlyTokens: Set<string>;
  /** Offers by offer id (Offers API v11 shape, as far as the product pull and the stock push need it; FBR and 12.99 unless given). */
  offers: Map<string, { ean: string; reference?: string; stock: { amount: number; managedByRetailer: boolean }; fulfilment?: 'FBR' | 'FBB'; unitPrice?: number }>;
  /** Offer ids whose PATCH bol refuses with a 400 problem (e.g. a blocked offer). */
  refuseOffers: Set<string>;
  /** Polls answered PENDING before a shipment process finishes. */
  processPolls: number;
  shipments: { shipmentId: string; shipmentReference?: string; shipmentDateTime: string; order: { orderId: string }; shipmentItems: { orderItemId: string; quantity: number }[]; transport: { transportId: string; transporterCode: string; trackAndTrace?: string } }[];
  /** Writes (method + path prefix) to apply and then answer by dropping the connection, counted down. */
  drops: { method: string; path: string; count: number }[];
  orders: Record<string, unknown>[];
  processes: Map<string, Process>;
  /** The server's clock (tests move it to make the change filters deterministic). */
  now: () => number;
  /** Budget per endpoint (`GET /retailer/orders/*`): at most `max` requests per fixed window of `windowMs`. */
  budgets: Map<string, { max: number; windowMs: number }>;
  /** Requests counted per endpoint in its current window (wall clock). */
  windows: Map<string, { start: number; count: number }>;
}

interface Process {
  polls: number;
  /** Looks answered PENDING before it finishes. */
  pending: number;
  eventType: string;
  entityId?: string;
  /** How it ends once done polling. */
  outcome: 'SUCCESS' | 'FAILURE';
  errorMessage?: string;
  /** Runs when the process turns SUCCESS (the shipment becomes visible). */
  apply?: () => void;
  applied?: boolean;
  expired?: boolean;
  created: string;
}

/** The endpoint a request counts against: a collection, or any one of its items (`…/*`). */
export function bolServerEndpoint(method: string, path: string): string {
  return `${method} ${path.replace(/^(\/retailer\/orders|\/retailer\/offers|\/retailer\/shipments|\/shared\/process-status)\/[^/]+$/, '$1/*')}`;
}

const MEDIA = 'application/vnd.retailer.v10+json';
const MEDIA_V11 = 'application/vnd.retailer.v11+json';

export type BolTestServer = TestServer & {
  state: BolState;
  revokeTokens(): void;
  /** The next `count` writes `method path…` are applied, then the connection is dropped without an answer. */
  dropNext(count: number, method: string, path: string): void;
  /** bol finishes and then forgets every process status (GET answers 404), as it does some time after completion. */
  expireProcesses(): void;
};

export function bolServer(state: Partial<BolState> & { clientId: string; clientSecret: string }): BolTestServer {
  const s: BolState = {
    tokenLifetime: 299, tokens: new Map(), readOnlyTokens: new Set(), orders: [], processPolls: 2, processes: new Map(), now: Date.now,
    budgets: new Map(), windows: new Map(), offers: new Map(), refuseOffers: new Set(), shipments: [], drops: [], ...state,
  };
  const server = new TestServer((req) => withRateLimit(s, req, handle)) as BolTestServer;
  server.state = s;
  server.revokeTokens = () => s.tokens.clear();
  server.dropNext = (count, method, path) => s.drops.push({ method, path, count });
  server.expireProcesses = () => {
    for (const p of s.processes.values()) {
      // bol forgets a process some time after it finished: a pending one finishes first.
      if (p.outcome === 'SUCCESS' && !p.applied) {
        p.applied = true;
        p.apply?.();
      }
      p.expired = true;
    }
  };
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

const problem = (status: number, title: string, detail: string, violations?: { name: string; reason: string }[]): Reply => ({
  status,
  headers: { 'content-type': 'application/vnd.retailer.v10+json+problem' },
  body: { type: 'https://api.bol.com/problems', title, status, detail, ...(violations ? { violations } : {}) },
});

function handle(s: BolState, req: SeenRequest): Reply {
  if (req.path === '/token') {
    const c = basicCredentials(req.headers.authorization);
    if (req.method !== 'POST' || req.query.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const readOnly = !!c && !!s.readOnly && c[0] === s.readOnly.clientId && c[1] === s.readOnly.clientSecret;
    if (!readOnly && (!c || c[0] !== s.clientId || c[1] !== s.clientSecret)) return { status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } };
    const token = `tok-${Math.random().toString(36).slice(2)}`;
    s.tokens.set(token, Date.now() + s.tokenLifetime * 1000);
    if (readOnly) s.readOnlyTokens.add(token);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: s.tokenLifetime, scope: 'RETAILER' } };
  }
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const exp = bearer ? s.tokens.get(bearer) : undefined;
  if (!exp || exp < Date.now()) return problem(401, 'Unauthorized', 'Request unauthorized; the access token is invalid or expired.');
  // The Offers API v11 paths (list and one offer) take only the v11 media type; the rest is Retailer API v10.
  const v11 = /^\/retailer\/offers(\/[^/]+)?$/.test(req.path);
  if (req.headers.accept !== (v11 ? MEDIA_V11 : MEDIA)) return problem(406, 'Not Acceptable', 'Unsupported Accept header');
  if (req.method !== 'GET' && req.body !== '' && req.headers['content-type'] !== (v11 ? MEDIA_V11 : MEDIA)) return problem(415, 'Unsupported Media Type', `Content-Type must be ${v11 ? MEDIA_V11 : MEDIA}`);
  const write = (req.method === 'PATCH' && v11) || (req.method === 'POST' && req.path === '/retailer/shipments');
  if (write && s.readOnlyTokens.has(bearer!)) return problem(403, 'Forbidden', 'The client is not authorized to perform this operation.');
  if (write) {
    const reply = v11 ? patchOffer(s, req) : createShipment(s, req);
    const drop = s.drops.find((d) => d.count > 0 && d.method === req.method && req.path.startsWith(d.path));
    if (drop && reply.status < 300) {
      drop.count--;
      return { ...reply, drop: true };
    }
    return reply;
  }
  if (req.path === '/retailer/shipments' && req.method === 'GET') {
    const orderId = req.query.get('order-id');
    const list = s.shipments.filter((x) => !orderId || x.order.orderId === orderId);
    const page = Number(req.query.get('page') ?? 1);
    const slice = list.slice((page - 1) * 50, page * 50);
    return { status: 200, body: slice.length ? { shipments: slice } : {} };
  }
  if (req.path === '/shared/process-status' && req.method === 'GET') {
    const entity = req.query.get('entity-id');
    const type = req.query.get('event-type');
    if (!entity || !type) return problem(400, 'Bad Request', 'entity-id and event-type are required', [{ name: 'entity-id', reason: 'must not be null' }]);
    const list = [...s.processes.entries()].filter(([, p]) => !p.expired && p.entityId === entity && p.eventType === type).reverse();
    return { status: 200, body: { processStatuses: list.map(([id, p]) => processBody(id, p)) } };
  }

  if (req.path === '/retailer/orders' && req.method === 'GET') return listOrders(s, req);
  const one = /^\/retailer\/orders\/([^/]+)$/.exec(req.path);
  if (one) {
    const o = s.orders.find((x) => x.orderId === decodeURIComponent(one[1]!));
    return o ? { status: 200, body: o } : problem(404, 'Not Found', `Order ${one[1]} not found`);
  }
  if (req.path === '/retailer/offers' && req.method === 'GET') return listOffers(s, req);
  const ps = /^\/shared\/process-status\/(\d+)$/.exec(req.path);
  if (ps) {
    const p = s.processes.get(ps[1]!);
    if (!p || p.expired) return problem(404, 'Not Found', `Process status ${ps[1]} not found`);
    p.polls++;
    return { status: 200, body: processBody(ps[1]!, p) };
  }
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

/** A process status as bol shows it; a shipment process finishes after `processPolls` looks (by id or by entity). */
function processBody(id: string, p: Process): Record<string, unknown> {
  const done = p.polls > p.pending;
  if (done && p.outcome === 'SUCCESS' && !p.applied) {
    p.applied = true;
    p.apply?.();
  }
  const status = done ? p.outcome : 'PENDING';
  return {
    processStatusId: id, entityId: p.entityId, eventType: p.eventType, description: `Example process status description for processing ${p.entityId}.`,
    status, ...(status === 'FAILURE' ? { errorMessage: p.errorMessage } : {}), createTimestamp: p.created,
    links: [{ rel: 'self', href: `https://api.bol.com/shared/process-status/${id}`, method: 'GET' }],
  };
}

const TRANSPORTERS = ['BRIEFPOST', 'UPS', 'TNT', 'TNT-EXTRA', 'TNT_BRIEF', 'TNT-EXPRESS', 'DYL', 'DPD-NL', 'DPD-BE', 'BPOST_BE', 'BPOST_BRIEF', 'DHLFORYOU', 'GLS', 'FEDEX_NL', 'FEDEX_BE', 'OTHER', 'DHL', 'DHL_DE', 'DHL-GLOBAL-MAIL', 'TSN', 'FIEGE', 'TRANSMISSION', 'PARCEL-NL', 'LOGOIX', 'PACKS', 'COURIER', 'TRUNKRS', 'CYCLOON'];

function json(req: SeenRequest): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(req.body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /retailer/offers (Offers API v11 get-offers): OfferListResponse { offers: OfferResponse[], page:
 * { pageSize, nextCursor } } in offer id order; `page-size` 1–100 (default 25, assumed), `cursor` the
 * opaque token of the page before; `nextCursor` absent on the last page.
 * https://api.bol.com/registry/api-definitions/offers/offers-v11.yaml
 */
function listOffers(s: BolState, req: SeenRequest): Reply {
  const bad = (name: string, reason: string) => problem(400, 'Bad Request', 'Error validating request. Consult the bol.com API documentation for more information.', [{ name, reason }]);
  const sizeText = req.query.get('page-size');
  const size = sizeText === null ? 25 : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > 100) return bad('page-size', 'must be between 1 and 100');
  let from = 0;
  const cursor = req.query.get('cursor');
  if (cursor !== null) {
    const m = /^o(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
    if (!m) return bad('cursor', 'invalid cursor');
    from = Number(m[1]);
  }
  const ids = [...s.offers.keys()].sort();
  const slice = ids.slice(from, from + size);
  const offers = slice.map((id) => {
    const o = s.offers.get(id)!;
    return {
      offerId: id, ean: o.ean, ...(o.reference ? { reference: o.reference } : {}), onHoldByRetailer: false, lastModifiedDateTime: '2026-11-01T09:00:00Z',
      stock: { amount: o.stock.amount, correctedStock: o.stock.amount, managedByRetailer: o.stock.managedByRetailer },
      countryAvailabilities: [{ countryCode: 'NL', forSale: true }], condition: { category: 'NEW' },
      pricing: { bundlePrices: [{ quantity: 1, unitPrice: o.unitPrice ?? 12.99 }] },
      fulfilment: o.fulfilment === 'FBB' ? { method: 'FBB' } : { method: 'FBR', deliveryPromise: { minimumDaysToCustomer: 1, maximumDaysToCustomer: 2 } },
    };
  });
  const more = from + size < ids.length;
  return { status: 200, body: { offers, page: { pageSize: size, ...(more ? { nextCursor: Buffer.from(`o${from + size}`).toString('base64') } : {}) } } };
}

/** PATCH /retailer/offers/{offer-id} (Offers API v11): synchronous, 204 without a body. */
function patchOffer(s: BolState, req: SeenRequest): Reply {
  const id = decodeURIComponent(req.path.slice('/retailer/offers/'.length));
  const body = json(req);
  if (!body) return problem(400, 'Bad Request', 'Request body is not valid JSON');
  const offer = s.offers.get(id);
  if (!offer) return problem(404, 'Not Found', `Offer with id ${id} not found.`);
  if (s.refuseOffers.has(id)) return problem(400, 'Bad Request', 'Error validating request. Consult the bol.com API documentation for more information.', [{ name: 'stock', reason: 'Offer is blocked and cannot be updated.' }]);
  const stock = body.stock as { amount?: unknown; managedByRetailer?: unknown } | undefined;
  if (stock !== undefined) {
    if (!Number.isInteger(stock.amount) || (stock.amount as number) < 0 || (stock.amount as number) > 999) return problem(400, 'Bad Request', 'Error validating request. Consult the bol.com API documentation for more information.', [{ name: 'stock.amount', reason: 'must be between 0 and 999' }]);
    if (typeof stock.managedByRetailer !== 'boolean') return problem(400, 'Bad Request', 'Error validating request. Consult the bol.com API documentation for more information.', [{ name: 'stock.managedByRetailer', reason: 'must not be null' }]);
    offer.stock = { amount: stock.amount as number, managedByRetailer: stock.managedByRetailer };
  }
  return { status: 204 };
}

/** POST /retailer/shipments: validated synchronously (400), processed asynchronously (202 + process status). */
function createShipment(s: BolState, req: SeenRequest): Reply {
  const body = json(req);
  const bad = (name: string, reason: string) => problem(400, 'Bad Request', 'Error validating request. Consult the bol.com API documentation for more information.', [{ name, reason }]);
  if (!body) return bad('body', 'Request body is not valid JSON');
  const items = body.orderItems as { orderItemId?: unknown; quantity?: unknown }[] | undefined;
  if (!Array.isArray(items) || items.length < 1 || items.length > 100) return bad('orderItems', 'size must be between 1 and 100');
  for (const i of items) {
    if (typeof i?.orderItemId !== 'string' || i.orderItemId === '') return bad('orderItems[].orderItemId', 'must not be blank');
    if (i.quantity !== undefined && (!Number.isInteger(i.quantity) || (i.quantity as number) < 1)) return bad('orderItems[].quantity', 'must be greater than or equal to 1');
  }
  const transport = body.transport as { transporterCode?: unknown; trackAndTrace?: unknown } | undefined;
  if (!transport || typeof transport.transporterCode !== 'string' || !TRANSPORTERS.includes(transport.transporterCode)) {
    return bad('transport.transporterCode', `Request contains invalid value(s): '${String(transport?.transporterCode)}', allowed values: ${TRANSPORTERS.join(', ')}.`);
  }
  const id = String(2000 + s.processes.size);
  const first = String(items[0]!.orderItemId);
  let failure: string | undefined;
  const found: { order: Record<string, unknown>; item: Item & { orderItemId: string; cancellationRequest?: boolean }; qty: number }[] = [];
  for (const i of items) {
    const orderItemId = String(i.orderItemId);
    const order = s.orders.find((o) => (o.orderItems as { orderItemId: string }[]).some((x) => x.orderItemId === orderItemId));
    const item = (order?.orderItems as (Item & { orderItemId: string; cancellationRequest?: boolean })[] | undefined)?.find((x) => x.orderItemId === orderItemId);
    if (!order || !item) {
      failure ??= `Order item ${orderItemId} not found.`;
      continue;
    }
    const left = item.quantity - (item.quantityShipped ?? 0) - (item.quantityCancelled ?? 0);
    const qty = (i.quantity as number | undefined) ?? left;
    if (item.cancellationRequest) failure ??= `Order item ${orderItemId} has a cancellation request and cannot be shipped.`;
    else if (left <= 0) failure ??= `Order item ${orderItemId} has already been shipped or cancelled.`;
    else if (qty > left) failure ??= `Quantity ${qty} of order item ${orderItemId} exceeds the quantity left to ship (${left}).`;
    found.push({ order: order!, item: item!, qty });
  }
  const created = new Date().toISOString();
  s.processes.set(id, {
    polls: 0, pending: s.processPolls, eventType: 'CREATE_SHIPMENT', entityId: first, outcome: failure ? 'FAILURE' : 'SUCCESS', errorMessage: failure, created,
    apply: () => {
      for (const f of found) f.item.quantityShipped = (f.item.quantityShipped ?? 0) + f.qty;
      s.shipments.push({
        shipmentId: String(900000 + s.shipments.length), shipmentReference: typeof body.shipmentReference === 'string' ? body.shipmentReference : undefined, shipmentDateTime: created,
        order: { orderId: String(found[0]!.order.orderId) }, shipmentItems: found.map((f) => ({ orderItemId: f.item.orderItemId, quantity: f.qty })),
        transport: { transportId: String(700000 + s.shipments.length), transporterCode: transport.transporterCode as string, trackAndTrace: typeof transport.trackAndTrace === 'string' ? transport.trackAndTrace : undefined },
      });
    },
  });
  const p = s.processes.get(id)!;
  return { status: 202, body: { processStatusId: id, entityId: first, eventType: 'CREATE_SHIPMENT', description: `Example process status description for processing ${first}.`, status: 'PENDING', createTimestamp: p.created, links: [{ rel: 'self', href: `https://api.bol.com/shared/process-status/${id}`, method: 'GET' }] } };
}
