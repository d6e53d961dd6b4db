import { createHmac } from 'node:crypto';
import { TestServer, type Reply, type SeenRequest } from './server.js';

/**
 * The Shopify Admin GraphQL API as documented, for the operations Wharf sends (dispatched on the
 * operation name; a real server parses the document, this one trusts the name and reads the variables):
 * X-Shopify-Access-Token with access scopes, `/admin/api/<version>/graphql.json`, the orders search
 * syntax Wharf uses (updated_at:>='…', financial_status, fulfillment_status, status:cancelled),
 * sortKey UPDATED_AT, cursor paging, the cost-based leaky bucket with THROTTLED answers and
 * `extensions.cost.throttleStatus`, ACCESS_DENIED for a missing scope. Dev Dashboard apps get tokens
 * by the client-credentials grant at POST /admin/oauth/access_token (form or JSON: grant_type,
 * client_id, client_secret → { access_token, scope, expires_in }); tokens expire (401 after).
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant
 * Webhook subscriptions (webhookSubscriptions, webhookSubscriptionCreate with `uri`, webhookSubscriptionDelete):
 * an order topic needs read_orders (refused in userErrors otherwise; the wording is this server's),
 * the address must be https unless `allowHttpWebhooks`. `shopifyDeliver` sends a delivery as Shopify does.
 */

export interface ShopifyState {
  tokens: Map<string, string[]>;
  /** Dev Dashboard apps installed on the store: client id → secret and granted scopes. */
  apps: Map<string, { secret: string; scopes: string[] }>;
  /** Lifetime of a client-credentials token, seconds (Shopify: 86399). */
  tokenLifetime: number;
  /** Expiry (epoch ms) of tokens issued by the grant; static tokens never expire. */
  tokenExpiry: Map<string, number>;
  /** How many tokens the grant issued. */
  issued: number;
  versions: string[];
  orders: Record<string, unknown>[];
  variants: Record<string, unknown>[];
  components: Map<string, { quantity: number; productVariant: { id: string; sku: string; barcode?: string } }[]>;
  locations: { id: string; name: string; isActive: boolean }[];
  bucket: { maximum: number; available: number; restoreRate: number; at: number };
  /** requestedQueryCost of an operation (default: computed from the query document, as Shopify does). */
  cost: (op: string, vars: Record<string, unknown>, query: string) => number;
  /** How many THROTTLED answers were given. */
  throttled: number;
  /** How many queries were refused as over the 1,000-point limit (MAX_COST_EXCEEDED). */
  tooCostly: number;
  /** Inventory items: id → tracked, and `available` per location id (a location absent: not stocked there). */
  inventory: Map<string, { tracked: boolean; levels: Map<string, number>; bundle?: boolean }>;
  /** Fulfillment orders per order id (made from the order's line items at `defaultLocation` on first use). */
  fulfillmentOrders: Map<string, ShopifyFulfillmentOrder[]>;
  /** Fulfillments created per order id. */
  fulfillments: Map<string, ShopifyFulfillment[]>;
  /** Where an order's fulfillment order is assigned when the test does not say. */
  defaultLocation: string;
  /** Idempotency keys seen: the variables they came with and the first result (replayed for the same variables). */
  idempotency: Map<string, { params: string; result: Record<string, unknown> }>;
  /** The next `count` requests of operation `op` are applied, then the connection is dropped before any answer. */
  dropNext: { op: string; count: number } | undefined;
  /** Quantities applied by inventorySetQuantities, and CHANGE_FROM_QUANTITY_STALE answers given. */
  setCalls: number;
  staleAnswers: number;
  /** Adjustment groups created (their createdAt is the server's clock, `clock()`). */
  groups: number;
  clock: () => number;
  /** Webhook subscriptions made through the API. */
  webhooks: { id: string; topic: string; uri: string; format: string }[];
  /** Accept http:// webhook addresses (Shopify wants https; the tests' daemon listens on http). */
  allowHttpWebhooks: boolean;
}

export interface ShopifyFulfillmentOrder {
  id: string;
  status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED' | 'CANCELLED' | 'ON_HOLD';
  locationId: string;
  lineItems: { id: string; lineItemId: string; sku: string | null; remaining: number }[];
}

export interface ShopifyFulfillment {
  id: string;
  status: 'SUCCESS';
  trackingInfo: { number: string | null; company: string | null; url: string | null }[];
  notifyCustomer: boolean;
  lines: { fulfillmentOrderLineItemId: string; quantity: number }[];
}

export function shopifyServer(state: Partial<ShopifyState> = {}): TestServer & { state: ShopifyState } {
  const s: ShopifyState = {
    tokens: new Map(),
    apps: new Map(),
    tokenLifetime: 86399,
    tokenExpiry: new Map(),
    issued: 0,
    versions: ['2025-07', '2025-10', '2026-01', '2026-04', '2026-07', '2026-10'],
    orders: [],
    variants: [],
    components: new Map(),
    locations: [],
    bucket: { maximum: 1000, available: 1000, restoreRate: 50, at: Date.now() },
    cost: (_op, vars, query) => queryCost(query, vars),
    throttled: 0,
    tooCostly: 0,
    inventory: new Map(),
    fulfillmentOrders: new Map(),
    fulfillments: new Map(),
    defaultLocation: 'gid://shopify/Location/1',
    idempotency: new Map(),
    dropNext: undefined,
    setCalls: 0,
    staleAnswers: 0,
    groups: 0,
    clock: Date.now,
    webhooks: [],
    allowHttpWebhooks: false,
    ...state,
  };
  const server = new TestServer((req) => handle(s, req)) as TestServer & { state: ShopifyState };
  server.state = s;
  return server;
}

/** The access scope each operation needs (any one of a list). https://shopify.dev/docs/api/usage/access-scopes */
const SCOPE_OF: Record<string, string | string[]> = {
  WharfOrders: 'read_orders',
  WharfOrderLineItems: 'read_orders',
  WharfOrder: 'read_orders',
  WharfVariants: 'read_products',
  WharfVariantComponents: 'read_products',
  WharfLocation: 'read_locations',
  WharfLocations: 'read_locations',
  WharfInventoryLevels: 'read_inventory',
  WharfSetStock: 'write_inventory',
  WharfShipmentOrder: 'read_orders',
  WharfFulfill: ['write_merchant_managed_fulfillment_orders', 'write_fulfillments', 'write_assigned_fulfillment_orders', 'write_third_party_fulfillment_orders'],
};
/** The mutation field behind an operation (Shopify's ACCESS_DENIED names the field). */
const FIELD_OF: Record<string, string> = { WharfSetStock: 'inventorySetQuantities', WharfFulfill: 'fulfillmentCreate' };

function issueToken(s: ShopifyState, req: SeenRequest): Reply {
  if (req.method !== 'POST') return { status: 404, body: { errors: 'Not Found' } };
  const type = String(req.headers['content-type'] ?? '');
  const p = type.includes('application/json') ? new URLSearchParams(Object.entries(JSON.parse(req.body || '{}') as Record<string, string>)) : new URLSearchParams(req.body);
  if (p.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' } };
  const app = s.apps.get(p.get('client_id') ?? '');
  if (!app || app.secret !== p.get('client_secret')) return { status: 400, body: { error: 'invalid_client', error_description: 'Client authentication failed due to unknown client or invalid client secret.' } };
  const token = `shpat_${(++s.issued).toString().padStart(4, '0')}${Math.random().toString(16).slice(2, 14)}`;
  s.tokens.set(token, app.scopes);
  s.tokenExpiry.set(token, Date.now() + s.tokenLifetime * 1000);
  return { status: 200, body: { access_token: token, scope: app.scopes.join(','), expires_in: s.tokenLifetime } };
}

function handle(s: ShopifyState, req: SeenRequest): Reply {
  if (req.path === '/admin/oauth/access_token') return issueToken(s, req);
  const m = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(req.path);
  if (!m || !s.versions.includes(m[1]!) || req.method !== 'POST') return { status: 404, body: { errors: 'Not Found' } };
  const token = req.headers['x-shopify-access-token'];
  const expired = typeof token === 'string' && (s.tokenExpiry.get(token) ?? Infinity) <= Date.now();
  const scopes = typeof token === 'string' && !expired ? s.tokens.get(token) : undefined;
  if (!scopes) return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
  const { query, variables = {}, operationName } = JSON.parse(req.body || '{}') as { query?: string; variables?: Record<string, unknown>; operationName?: string };
  const op = operationName ?? /^\s*(?:query|mutation)\s+(\w+)/.exec(query ?? '')?.[1] ?? '';
  const headers = { 'x-shopify-api-version': m[1]! };

  const need = SCOPE_OF[op];
  const has = (h: string) => scopes.includes(h) || scopes.includes(h.replace(/^read_/, 'write_'));
  const needs = need === undefined ? [] : Array.isArray(need) ? need : [need];
  if (needs.length && !needs.some(has)) {
    const access = needs.map((n) => `\`${n}\``).join(' or ');
    return { status: 200, headers, body: { data: null, errors: [{ message: `Access denied for ${FIELD_OF[op] ?? op} field. Required access: ${access} access scope.`, locations: [{ line: 2, column: 3 }], path: [FIELD_OF[op] ?? op], extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes', requiredAccess: `${access} access scope.` } }] } };
  }

  // Leaky bucket: refill, then charge the requested cost or refuse.
  const b = s.bucket;
  const now = Date.now();
  b.available = Math.min(b.maximum, b.available + ((now - b.at) / 1000) * b.restoreRate);
  b.at = now;
  // A mutation costs 10 points (https://shopify.dev/docs/api/usage/limits#cost-calculation).
  const cost = /^\s*mutation\b/.test(query ?? '') ? 10 : s.cost(op, variables, query ?? '');
  const status = () => ({ maximumAvailable: b.maximum, currentlyAvailable: Math.floor(b.available), restoreRate: b.restoreRate });
  if (cost > MAX_COST) {
    s.tooCostly++;
    // Refused before it runs, nothing charged; the answer Shopify gives (no data, no extensions.cost).
    return {
      status: 200,
      headers,
      body: {
        errors: [{
          message: `Query cost is ${cost}, which exceeds the single query max cost limit (${MAX_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n`,
          extensions: { code: 'MAX_COST_EXCEEDED', cost, maxCost: MAX_COST, documentation: 'https://shopify.dev/api/usage/rate-limits' },
        }],
      },
    };
  }
  if (b.available < cost) {
    s.throttled++;
    return { status: 200, headers, body: { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }], extensions: { cost: { requestedQueryCost: cost, actualQueryCost: null, throttleStatus: status() } } } };
  }
  const refusal = checkMutation(s, op, m[1]!, query ?? '', variables);
  if (refusal) return { status: 200, headers, body: { errors: [{ message: refusal }] } };
  b.available -= cost;
  const data = run(s, op, variables, scopes, query ?? '');
  if (!data) return { status: 200, headers, body: { errors: [{ message: `Unknown operation ${op}` }] } };
  const reply: Reply = { status: 200, headers, body: { data, extensions: { cost: { requestedQueryCost: cost, actualQueryCost: cost, throttleStatus: status() } } } };
  if (s.dropNext && s.dropNext.op === op && s.dropNext.count > 0) {
    s.dropNext.count--;
    return { ...reply, drop: true };
  }
  return reply;
}

function run(s: ShopifyState, op: string, v: Record<string, unknown>, scopes: string[], query: string): Record<string, unknown> | undefined {
  switch (op) {
    case 'WharfLocations':
      return { locations: { nodes: s.locations } };
    case 'WharfInventoryLevels':
      return { nodes: (v.ids as string[]).map((id) => inventoryNode(s, id, String(v.locationId))) };
    case 'WharfSetStock':
      return { inventorySetQuantities: idempotent(s, query, v, () => setQuantities(s, v)) };
    case 'WharfShipmentOrder':
      return { order: shipmentOrder(s, String(v.id)) };
    case 'WharfFulfill':
      return { fulfillmentCreate: idempotent(s, query, v, () => fulfill(s, v)) };
    case 'WharfTestConnection':
      return { shop: { name: 'Acme Store', myshopifyDomain: 'acme.myshopify.com' }, currentAppInstallation: { accessScopes: scopes.map((handle) => ({ handle })) } };
    case 'WharfOrders': {
      const list = searchOrders(s.orders, String(v.query ?? ''));
      const page = keysetConnection(list, Number(v.first), v.after as string | null);
      return { orders: { ...page, nodes: page.nodes.map((o) => withLineItems(o, Number(v.lineItems), null)) } };
    }
    case 'WharfOrder': {
      const o = s.orders.find((x) => x.id === v.id);
      return { order: o ? withLineItems(o, Number(v.lineItems), null) : null };
    }
    case 'WharfWebhookSubscriptions': {
      const topics = v.topics as string[] | null | undefined;
      return { webhookSubscriptions: connection(s.webhooks.filter((w) => !topics || topics.includes(w.topic)).map(({ id, topic, uri }) => ({ id, topic, uri })), Number(v.first), v.after as string | null) };
    }
    case 'WharfWebhookCreate':
      return { webhookSubscriptionCreate: createWebhook(s, String(v.topic), v.webhookSubscription as { uri?: string; format?: string }, scopes) };
    case 'WharfWebhookDelete': {
      const at = s.webhooks.findIndex((w) => w.id === v.id);
      if (at < 0) return { webhookSubscriptionDelete: { deletedWebhookSubscriptionId: null, userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }] } };
      s.webhooks.splice(at, 1);
      return { webhookSubscriptionDelete: { deletedWebhookSubscriptionId: String(v.id), userErrors: [] } };
    }
    case 'WharfOrderLineItems': {
      const o = s.orders.find((x) => x.id === v.id);
      return { order: o ? { lineItems: withLineItems(o, Number(v.first), v.after as string | null).lineItems } : null };
    }
    case 'WharfVariants':
      return { productVariants: connection(s.variants, Number(v.first), v.after as string | null) };
    case 'WharfVariantComponents':
      return { productVariant: { productVariantComponents: { nodes: s.components.get(String(v.id)) ?? [] } } };
    case 'WharfLocation':
      return { location: s.locations.find((l) => l.id === v.id) ?? null };
    default:
      return undefined;
  }
}

/**
 * Refusals of a mutation before it runs, as a top-level error (wording of the test server: Shopify's
 * exact texts for these are unverified): from 2026-04 inventorySetQuantities must carry the
 * `@idempotent(key:)` directive and `changeFromQuantity` on every quantity (null opts out); at most 250
 * quantities per call.
 * https://shopify.dev/changelog/posts/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations
 */
function checkMutation(s: ShopifyState, op: string, version: string, query: string, v: Record<string, unknown>): string | undefined {
  void s;
  if (op !== 'WharfSetStock') return undefined;
  const quantities = ((v.input as { quantities?: Record<string, unknown>[] } | undefined)?.quantities) ?? [];
  if (quantities.length > 250) return `The input array size of ${quantities.length} is greater than the maximum allowed of 250.`;
  if (version >= '2026-04') {
    if (!/@idempotent\(key:\s*"[^"]+"\)/.test(query)) return 'The @idempotent directive is required for this mutation.';
    if (quantities.some((q) => !Object.hasOwn(q, 'changeFromQuantity'))) return 'Variable $input of type InventorySetQuantitiesInput! was provided invalid value: changeFromQuantity is required (pass null to opt out of the compare-and-swap check)';
  }
  return undefined;
}

/**
 * Shopify's idempotency for mutations with `@idempotent(key:)`: the same key with the same variables
 * answers the first result (nothing is applied again); with other variables IDEMPOTENCY_KEY_PARAMETER_MISMATCH;
 * after a first attempt that failed (userErrors) IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED.
 * https://shopify.dev/docs/api/usage/implementing-idempotency
 */
function idempotent(s: ShopifyState, query: string, v: Record<string, unknown>, apply: () => Record<string, unknown>): Record<string, unknown> {
  const key = /@idempotent\(key:\s*"([^"]+)"\)/.exec(query)?.[1];
  if (!key) return apply();
  const params = JSON.stringify(v);
  const seen = s.idempotency.get(key);
  if (seen) {
    if (seen.params !== params) return { userErrors: [{ field: null, message: 'The same idempotency key cannot be used with different operation parameters.', code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH' }] };
    if ((seen.result.userErrors as unknown[]).length) return { userErrors: [{ field: null, message: 'A previous request with this idempotency key failed. Retry with a new idempotency key.', code: 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED' }] };
    return seen.result;
  }
  const result = apply();
  s.idempotency.set(key, { params, result });
  return result;
}

function inventoryNode(s: ShopifyState, id: string, location: string): Record<string, unknown> | null {
  const item = s.inventory.get(id);
  if (!item) return null;
  const level = item.levels.get(location);
  return { id, tracked: item.tracked, inventoryLevel: level === undefined ? null : { quantities: [{ name: 'available', quantity: level }] } };
}

/**
 * inventorySetQuantities: all or nothing. Per quantity: unknown item, unknown location, not stocked
 * there, negative, or CHANGE_FROM_QUANTITY_STALE when `changeFromQuantity` (not null) differs from the
 * stored quantity; `field` is the path of the offending input.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/enums/InventorySetQuantitiesUserErrorCode
 */
function setQuantities(s: ShopifyState, v: Record<string, unknown>): Record<string, unknown> {
  const input = v.input as { name: string; reason: string; quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity?: number | null }[] };
  const errors: { field: string[]; message: string; code: string }[] = [];
  if (input.name !== 'available' && input.name !== 'on_hand') errors.push({ field: ['input', 'name'], message: "The quantity name must be either 'available' or 'on_hand'.", code: 'INVALID_NAME' });
  input.quantities.forEach((q, i) => {
    const at = (f: string) => ['input', 'quantities', String(i), f];
    const item = s.inventory.get(q.inventoryItemId);
    if (!item) return void errors.push({ field: at('inventoryItemId'), message: 'The specified inventory item could not be found.', code: 'INVALID_INVENTORY_ITEM' });
    if (!s.locations.some((l) => l.id === q.locationId)) return void errors.push({ field: at('locationId'), message: 'The specified location could not be found.', code: 'INVALID_LOCATION' });
    const level = item.levels.get(q.locationId);
    if (level === undefined) return void errors.push({ field: at('locationId'), message: 'The specified inventory item is not stocked at the location.', code: 'ITEM_NOT_STOCKED_AT_LOCATION' });
    if (item.bundle) return void errors.push({ field: at('inventoryItemId'), message: 'The specified inventory item is not allowed to be adjusted via API. Example: if the inventory item is a parent bundle.', code: 'NON_MUTABLE_INVENTORY_ITEM' });
    if (q.quantity < 0) return void errors.push({ field: at('quantity'), message: "The quantity can't be negative.", code: 'INVALID_QUANTITY_NEGATIVE' });
    if (q.changeFromQuantity !== null && q.changeFromQuantity !== undefined && q.changeFromQuantity !== level) {
      errors.push({ field: at('changeFromQuantity'), message: 'The changeFromQuantity value does not match persisted value.', code: 'CHANGE_FROM_QUANTITY_STALE' });
    }
  });
  if (errors.length) {
    if (errors.some((e) => e.code === 'CHANGE_FROM_QUANTITY_STALE')) s.staleAnswers++;
    return { inventoryAdjustmentGroup: null, userErrors: errors };
  }
  for (const q of input.quantities) s.inventory.get(q.inventoryItemId)!.levels.set(q.locationId, q.quantity);
  s.setCalls++;
  return { inventoryAdjustmentGroup: { id: `gid://shopify/InventoryAdjustmentGroup/${++s.groups}`, createdAt: new Date(s.clock()).toISOString() }, userErrors: [] };
}

/** An order's fulfillment orders: one per order at `defaultLocation` with all its lines (closed when cancelled), unless the test set them. */
export function fulfillmentOrdersOf(s: ShopifyState, orderId: string): ShopifyFulfillmentOrder[] {
  let fos = s.fulfillmentOrders.get(orderId);
  if (!fos) {
    const o = s.orders.find((x) => x.id === orderId);
    if (!o) return [];
    const lines = (o.allLineItems as { id: string; sku: string | null; quantity: number }[]) ?? [];
    const n = String(o.legacyResourceId);
    fos = [{ id: `gid://shopify/FulfillmentOrder/${n}1`, status: o.cancelledAt ? 'CLOSED' : 'OPEN', locationId: s.defaultLocation, lineItems: lines.map((l, i) => ({ id: `gid://shopify/FulfillmentOrderLineItem/${n}${i}`, lineItemId: l.id, sku: l.sku, remaining: o.cancelledAt ? 0 : l.quantity })) }];
    s.fulfillmentOrders.set(orderId, fos);
  }
  return fos;
}

function shipmentOrder(s: ShopifyState, id: string): Record<string, unknown> | null {
  const o = s.orders.find((x) => x.id === id);
  if (!o) return null;
  return {
    id, name: o.name, cancelledAt: o.cancelledAt, displayFulfillmentStatus: o.displayFulfillmentStatus,
    fulfillments: (s.fulfillments.get(id) ?? []).slice(0, 30).map((f) => ({ id: f.id, status: f.status, trackingInfo: f.trackingInfo })),
    fulfillmentOrders: {
      nodes: fulfillmentOrdersOf(s, id).slice(0, 5).map((fo) => ({
        id: fo.id, status: fo.status, assignedLocation: { location: { id: fo.locationId } },
        lineItems: { nodes: fo.lineItems.slice(0, 50).map((l) => ({ id: l.id, remainingQuantity: l.remaining, lineItem: { id: l.lineItemId, sku: l.sku } })) },
      })),
    },
  };
}

/**
 * fulfillmentCreate: fulfillment orders of one order and one location, each open; the given lines
 * (all open lines of a fulfillment order when none are given) within their remaining quantities.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/fulfillmentCreate
 */
function fulfill(s: ShopifyState, v: Record<string, unknown>): Record<string, unknown> {
  const input = v.fulfillment as { lineItemsByFulfillmentOrder: { fulfillmentOrderId: string; fulfillmentOrderLineItems?: { id: string; quantity: number }[] }[]; notifyCustomer?: boolean; trackingInfo?: { number?: string | null; company?: string | null; url?: string | null } };
  const err = (message: string, field: string[] = ['fulfillment']) => ({ fulfillment: null, userErrors: [{ field, message }] });
  const picked: { order: string; fo: ShopifyFulfillmentOrder; lines: { id: string; quantity: number }[] }[] = [];
  for (const g of input.lineItemsByFulfillmentOrder) {
    let found: { order: string; fo: ShopifyFulfillmentOrder } | undefined;
    for (const o of s.orders) {
      const fo = fulfillmentOrdersOf(s, String(o.id)).find((f) => f.id === g.fulfillmentOrderId);
      if (fo) found = { order: String(o.id), fo };
    }
    if (!found) return err('Fulfillment order does not exist.', ['fulfillment', 'lineItemsByFulfillmentOrder']);
    if (found.fo.status !== 'OPEN' && found.fo.status !== 'IN_PROGRESS') return err(`Fulfillment order ${found.fo.id.split('/').pop()} has an unfulfillable status= ${found.fo.status.toLowerCase()}.`);
    const lines = g.fulfillmentOrderLineItems?.length ? g.fulfillmentOrderLineItems : found.fo.lineItems.filter((l) => l.remaining > 0).map((l) => ({ id: l.id, quantity: l.remaining }));
    for (const l of lines) {
      const line = found.fo.lineItems.find((x) => x.id === l.id);
      if (!line || l.quantity < 1 || l.quantity > line.remaining) return err('Invalid fulfillment order line item quantity requested.');
    }
    picked.push({ ...found, lines });
  }
  if (new Set(picked.map((p) => p.order)).size > 1 || new Set(picked.map((p) => p.fo.locationId)).size > 1) return err('All fulfillment orders must belong to the same order and be assigned to the same location.');
  for (const p of picked) {
    for (const l of p.lines) p.fo.lineItems.find((x) => x.id === l.id)!.remaining -= l.quantity;
    p.fo.status = p.fo.lineItems.every((x) => x.remaining === 0) ? 'CLOSED' : 'IN_PROGRESS';
  }
  const orderId = picked[0]!.order;
  const list = s.fulfillments.get(orderId) ?? [];
  const t = input.trackingInfo;
  const f: ShopifyFulfillment = {
    id: `gid://shopify/Fulfillment/${orderId.split('/').pop()}${list.length + 1}`, status: 'SUCCESS',
    trackingInfo: t ? [{ number: t.number ?? null, company: t.company ?? null, url: t.url ?? null }] : [],
    notifyCustomer: input.notifyCustomer ?? false,
    lines: picked.flatMap((p) => p.lines.map((l) => ({ fulfillmentOrderLineItemId: l.id, quantity: l.quantity }))),
  };
  list.push(f);
  s.fulfillments.set(orderId, list);
  const order = s.orders.find((o) => o.id === orderId)!;
  order.displayFulfillmentStatus = fulfillmentOrdersOf(s, orderId).every((fo) => fo.lineItems.every((l) => l.remaining === 0)) ? 'FULFILLED' : 'PARTIALLY_FULFILLED';
  return { fulfillment: { id: f.id, status: f.status, trackingInfo: f.trackingInfo.map((x) => ({ number: x.number })) }, userErrors: [] };
}

/**
 * The orders search syntax Wharf uses: terms `field:value` / `field:>='date'`, implicit AND, `OR`,
 * and parentheses (https://shopify.dev/docs/api/usage/search-syntax). Anything else is refused.
 */
function searchOrders(orders: Record<string, unknown>[], q: string): Record<string, unknown>[] {
  const tokens = q.match(/\(|\)|[^\s()']+:(?:>=|<=|>|<)?'[^']*'|[^\s()]+/g) ?? [];
  let i = 0;
  type Pred = (o: Record<string, unknown>) => boolean;
  const term = (): Pred => {
    const t = tokens[i++];
    if (t === '(') {
      const inner = or();
      if (tokens[i++] !== ')') throw new Error(`unbalanced parentheses in query: ${q}`);
      return inner;
    }
    if (!t) throw new Error(`incomplete query: ${q}`);
    return match(t);
  };
  const and = (): Pred => {
    const parts = [term()];
    while (i < tokens.length && tokens[i] !== ')' && tokens[i] !== 'OR') {
      if (tokens[i] === 'AND') i++;
      parts.push(term());
    }
    return (o) => parts.every((p) => p(o));
  };
  const or = (): Pred => {
    const parts = [and()];
    while (tokens[i] === 'OR') {
      i++;
      parts.push(and());
    }
    return (o) => parts.some((p) => p(o));
  };
  const pred = tokens.length ? or() : () => true;
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in query: ${q}`);
  return orders.filter(pred).sort((a, b) => Date.parse(String(a.updatedAt)) - Date.parse(String(b.updatedAt)) || Number(a.legacyResourceId) - Number(b.legacyResourceId));
}

function match(term: string): (o: Record<string, unknown>) => boolean {
  const [, field, op, raw] = /^(\w+):(>=|<=|>|<)?'?([^']*)'?$/.exec(term) ?? [];
  if (field === 'updated_at') {
    const t = Date.parse(raw!);
    return (o) => {
      const u = Date.parse(String(o.updatedAt));
      return op === '>=' ? u >= t : op === '>' ? u > t : op === '<' ? u < t : op === '<=' ? u <= t : u === t;
    };
  }
  if (field === 'financial_status') return (o) => String(o.displayFinancialStatus).toLowerCase() === raw;
  if (field === 'fulfillment_status') return (o) => String(o.displayFulfillmentStatus).toLowerCase() === raw;
  if (field === 'status' && raw === 'cancelled') return (o) => Boolean(o.cancelledAt);
  if (field === 'status' && raw === 'open') return (o) => !o.cancelledAt && !o.closed;
  throw new Error(`search term not supported by the test server: ${term}`);
}

/** Shopify's single-query ceiling. https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits */
const MAX_COST = 1000;

/**
 * The requested cost of a query document as Shopify computes it: a scalar costs 0, an object 1 plus
 * its fields, a connection (a field with `first`) 2 + first × (one node: 1 plus its fields); pageInfo
 * is free. Handles the documents Wharf sends (no fragments or aliases).
 * https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits
 */
export function queryCost(query: string, vars: Record<string, unknown>): number {
  const tokens = query.match(/\.\.\.|[{}()]|\$?\w+|"[^"]*"|[:!,=\[\]]/g) ?? [];
  let i = tokens.indexOf('{');
  if (i < 0) return 0;
  const value = (t: string | undefined) => (t?.startsWith('$') ? vars[t.slice(1)] : t);
  const selection = (): number => {
    // at '{'
    i++;
    let sum = 0;
    while (tokens[i] !== '}') {
      if (tokens[i] === '...') {
        // An inline fragment (`... on Type { … }`) adds its fields to the object it is in.
        if (tokens[i + 1] !== 'on') throw new Error('named fragments are not supported by the test server');
        i += 3;
        sum += selection();
        continue;
      }
      const name = tokens[i++]!;
      let first: number | undefined;
      if (tokens[i] === '(') {
        for (i++; tokens[i] !== ')'; i++) {
          if (tokens[i] === 'first' && tokens[i + 1] === ':') first = Number(value(tokens[i + 2]));
          // nodes(ids: […]) returns one object per id.
          if (tokens[i] === 'ids' && tokens[i + 1] === ':') first = (value(tokens[i + 2]) as unknown[] | undefined)?.length;
        }
        i++;
      }
      if (tokens[i] !== '{') continue; // a scalar: free
      if (name === 'pageInfo') {
        selection();
        continue;
      }
      const inner = selection();
      if (first !== undefined) sum += 2 + first * inner; // connection: its selection holds nodes { … }
      else if (name === 'nodes' || name === 'node') sum += 1 + inner; // one node of a connection
      else sum += 1 + inner;
    }
    i++;
    return sum;
  };
  return selection();
}

const cursorOf = (i: number) => Buffer.from(`i:${i}`).toString('base64');
const indexOf = (c: string | null | undefined) => (c ? Number(Buffer.from(c, 'base64').toString().slice(2)) + 1 : 0);

function connection<T>(all: T[], first: number, after: string | null): { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: T[] } {
  const start = indexOf(after);
  const nodes = all.slice(start, start + first);
  return { pageInfo: { hasNextPage: start + first < all.length, endCursor: nodes.length ? cursorOf(start + nodes.length - 1) : null }, nodes };
}

/**
 * Orders sorted by UPDATED_AT page by keyset, as Shopify's cursors do: a cursor is the sort value and
 * id of the node it points at (Shopify's own cursors decode to `{"last_id":…,"last_value":"…"}`), so
 * the next page starts after that node wherever it now sits in a list that changed meanwhile.
 */
function keysetConnection(all: Record<string, unknown>[], first: number, after: string | null): { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Record<string, unknown>[] } {
  const key = (o: Record<string, unknown>): [number, number] => [Date.parse(String(o.updatedAt)), Number(o.legacyResourceId)];
  let start = 0;
  if (after) {
    const c = JSON.parse(Buffer.from(after, 'base64').toString()) as { last_id: number; last_value: string };
    const last: [number, number] = [Date.parse(c.last_value), c.last_id];
    start = all.findIndex((o) => { const k = key(o); return k[0] > last[0] || (k[0] === last[0] && k[1] > last[1]); });
    if (start === -1) start = all.length;
  }
  const nodes = all.slice(start, start + first);
  const tail = nodes.at(-1);
  const endCursor = tail ? Buffer.from(JSON.stringify({ last_id: Number(tail.legacyResourceId), last_value: String(tail.updatedAt) })).toString('base64') : null;
  return { pageInfo: { hasNextPage: start + first < all.length, endCursor }, nodes };
}

function withLineItems(o: Record<string, unknown>, first: number, after: string | null): Record<string, unknown> {
  const all = (o.allLineItems as unknown[]) ?? [];
  const { allLineItems: _all, ...rest } = o;
  return { ...rest, lineItems: connection(all, first, after) };
}

const money = (amount: string) => ({ shopMoney: { amount, currencyCode: 'EUR' } });

/** A realistic paid, unfulfilled order (the node shape of Wharf's orders query), Dutch by default. */
export function shopifyOrder(o: {
  n: number;
  updatedAt: string;
  createdAt?: string;
  financial?: string;
  fulfillment?: string;
  cancelledAt?: string;
  lines?: { sku: string | null; qty: number; price: string; barcode?: string }[];
  address1?: string;
  country?: string;
  /** Prices include tax (EU shops; default) or not (tax added on top, US-style). 21% VAT either way. */
  taxesIncluded?: boolean;
}): Record<string, unknown> {
  const lines = o.lines ?? [{ sku: `SKU-${o.n}`, qty: 1, price: '24.95' }];
  const taxesIncluded = o.taxesIncluded ?? true;
  // Tax of an amount as the shop entered it: contained in it (included) or 21% on top.
  const taxOf = (amount: number) => (taxesIncluded ? amount - amount / 1.21 : amount * 0.21);
  const total = lines.reduce((n, l) => n + l.qty * Number(l.price), 0) + 4.95;
  const address = {
    name: 'Daan Jansen', firstName: 'Daan', lastName: 'Jansen', company: null, address1: o.address1 ?? 'Oudegracht 158 bis', address2: '',
    city: 'Utrecht', province: null, provinceCode: null, zip: '3511 AZ', country: 'Netherlands', countryCodeV2: o.country ?? 'NL', phone: '+31 30 555 0199',
  };
  return {
    id: `gid://shopify/Order/${5000000 + o.n}`,
    legacyResourceId: String(5000000 + o.n),
    name: `#${1000 + o.n}`,
    createdAt: o.createdAt ?? o.updatedAt,
    updatedAt: o.updatedAt,
    processedAt: o.createdAt ?? o.updatedAt,
    cancelledAt: o.cancelledAt ?? null,
    cancelReason: o.cancelledAt ? 'CUSTOMER' : null,
    displayFinancialStatus: o.financial ?? (o.cancelledAt ? 'REFUNDED' : 'PAID'),
    displayFulfillmentStatus: o.fulfillment ?? 'UNFULFILLED',
    email: 'daan@example.nl',
    phone: null,
    taxesIncluded,
    note: o.n % 2 ? 'Graag na 17:00 bezorgen' : null,
    currencyCode: 'EUR',
    shippingAddress: address,
    billingAddress: address,
    shippingLine: { title: 'PostNL', code: 'PostNL', carrierIdentifier: null, source: 'shopify', taxLines: [{ priceSet: money(taxOf(4.95).toFixed(2)) }] },
    totalPriceSet: money((taxesIncluded ? total : total + taxOf(total)).toFixed(2)),
    totalShippingPriceSet: money('4.95'),
    totalTaxSet: money(taxOf(total).toFixed(2)),
    totalDiscountsSet: money('0.0'),
    allLineItems: lines.map((l, i) => ({
      id: `gid://shopify/LineItem/${(5000000 + o.n) * 100 + i}`,
      sku: l.sku,
      name: `Product ${l.sku ?? i}`,
      title: `Product ${l.sku ?? i}`,
      quantity: l.qty,
      currentQuantity: l.qty,
      unfulfilledQuantity: l.qty,
      requiresShipping: true,
      variant: l.sku === null ? null : { id: `gid://shopify/ProductVariant/${700 + i}`, sku: l.sku, barcode: l.barcode ?? null },
      originalUnitPriceSet: money(l.price),
      discountedUnitPriceSet: money(l.price),
      discountedUnitPriceAfterAllDiscountsSet: money(l.price),
      taxLines: [{ priceSet: money(taxOf(l.qty * Number(l.price)).toFixed(2)) }],
    })),
  };
}

/** The scope a webhook topic's resource needs (order topics: read_orders). https://shopify.dev/docs/api/webhooks */
const TOPIC_SCOPE: Record<string, string> = { ORDERS_CREATE: 'read_orders', ORDERS_UPDATED: 'read_orders', ORDERS_CANCELLED: 'read_orders', PRODUCTS_UPDATE: 'read_products' };

function createWebhook(s: ShopifyState, topic: string, input: { uri?: string; format?: string }, scopes: string[]): Record<string, unknown> {
  const err = (field: string[], message: string) => ({ webhookSubscription: null, userErrors: [{ field, message }] });
  const need = TOPIC_SCOPE[topic];
  if (!need) return err(['topic'], `Topic ${topic} is not supported by this test server`);
  if (!scopes.includes(need) && !scopes.includes(need.replace(/^read_/, 'write_'))) return err(['webhookSubscription'], `Access denied for topic ${topic}: the app needs the \`${need}\` access scope.`);
  const uri = String(input.uri ?? '');
  if (!/^https?:\/\/[^\s/]+/.test(uri)) return err(['webhookSubscription', 'uri'], 'Address is invalid');
  if (uri.startsWith('http:') && !s.allowHttpWebhooks) return err(['webhookSubscription', 'uri'], 'Address protocol http:// is not supported');
  if (s.webhooks.some((w) => w.topic === topic && w.uri === uri)) return err(['webhookSubscription', 'uri'], 'Address for this topic has already been taken');
  const w = { id: `gid://shopify/WebhookSubscription/${9000 + s.webhooks.length + Math.floor(Math.random() * 1000) * 100}`, topic, uri, format: input.format ?? 'JSON' };
  s.webhooks.push(w);
  return { webhookSubscription: { id: w.id, topic, uri }, userErrors: [] };
}

/** The REST shape of an order (snake_case, as webhook bodies carry it), from the node shape of shopifyOrder(). */
export function restOrder(o: Record<string, unknown>): Record<string, unknown> {
  const lines = (o.allLineItems as Record<string, unknown>[]) ?? [];
  return {
    id: Number(o.legacyResourceId), admin_graphql_api_id: o.id, name: o.name, email: o.email, created_at: o.createdAt, updated_at: o.updatedAt,
    cancelled_at: o.cancelledAt, financial_status: String(o.displayFinancialStatus).toLowerCase(), fulfillment_status: null, currency: o.currencyCode,
    total_price: (o.totalPriceSet as { shopMoney: { amount: string } }).shopMoney.amount, note: o.note,
    line_items: lines.map((l) => ({ id: Number(String(l.id).split('/').pop()), admin_graphql_api_id: l.id, sku: l.sku, quantity: l.quantity, title: l.title })),
  };
}

/**
 * One delivery of `topic` (`orders/create`, `orders/updated`) for `order` (shopifyOrder's node shape) to
 * every subscription of that topic, as Shopify sends it: POST JSON of the REST shape, X-Shopify-Topic,
 * -Shop-Domain, -API-Version, -Webhook-Id, -Event-Id, -Triggered-At, and X-Shopify-Hmac-Sha256 = base64
 * HMAC-SHA256 of the body with the app's client secret `secret`.
 */
export async function shopifyDeliver(s: ShopifyState, secret: string, topic: string, order: Record<string, unknown>, opts: { tamper?: (body: string) => string } = {}): Promise<{ url: string; status: number; body: string }[]> {
  const subscription = topic.toUpperCase().replace('/', '_');
  const out: { url: string; status: number; body: string }[] = [];
  for (const w of s.webhooks.filter((x) => x.topic === subscription)) {
    const body = JSON.stringify(restOrder(order));
    const headers = {
      'content-type': 'application/json', 'x-shopify-topic': topic, 'x-shopify-shop-domain': 'acme.myshopify.com', 'x-shopify-api-version': '2026-04',
      'x-shopify-webhook-id': `wh-${Math.random().toString(16).slice(2)}`, 'x-shopify-event-id': `ev-${Math.random().toString(16).slice(2)}`, 'x-shopify-triggered-at': new Date().toISOString(),
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
    };
    const res = await fetch(w.uri, { method: 'POST', headers, body: opts.tamper ? opts.tamper(body) : body });
    out.push({ url: w.uri, status: res.status, body: await res.text() });
  }
  return out;
}
