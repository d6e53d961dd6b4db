import type { Logger } from '../log.js';
import type { HttpTuning } from './http/client.js';

/**
 * What every webshop/marketplace connector hands to the pipeline. Records are the platform's own JSON
 * objects; the channel's mapping (mappings/<platform>.order.yaml) turns them into canonical orders.
 */

/** One page of orders and the cursor to store once the page is committed to the ledger. */
export interface OrderPage {
  records: unknown[];
  /**
   * ISO 8601 UTC timestamp: every order modified before it (minus the overlap window) has been
   * yielded, by this page or an earlier one. Never moves backwards. Store it only after the ledger
   * commit of this page; pass it to the next `pullOrders`. The last page may be empty and carry only
   * the final cursor.
   */
  cursor: string;
}

export interface ProductPage {
  records: unknown[];
}

export interface TestStep {
  step: string;
  ok: boolean;
  detail: string;
}

export interface TestResult {
  ok: boolean;
  steps: TestStep[];
}

/** Runtime settings of a connector that are not part of the channel config. */
export interface ConnectorOptions {
  logger: Logger;
  /** Request timeout/retry knobs (tests use small delays). */
  http?: HttpTuning;
  /** Clock for the cursor's "now" (default Date.now). */
  now?: () => number;
  signal?: AbortSignal;
}

/** Settings every webshop channel shares: defined with the config (config/ imports no connector). */
export type { CommonChannelConfig } from '../config/types.js';
import type { CommonChannelConfig } from '../config/types.js';

/* ------------------------------------------------------------------------------------------------
 * Push: stock levels and shipments written back into the shop (issue 9). The platform-independent
 * machinery (which SKUs changed, batching, progress, the outbox, retries) lives in src/push/; a
 * platform implements only the functions of `PushOperations` below (see src/connectors/index.ts).
 * ---------------------------------------------------------------------------------------------- */

/**
 * The ids a push needs for one SKU of the shop, read from one raw product record of the product pull
 * (kept in the ledger per (channel, SKU), table `push_targets`). `ids` is the platform's own,
 * JSON-serialisable and opaque to the machinery, e.g. WooCommerce `{ productId: 12 }` or
 * `{ productId: 10, variationId: 11 }`, Shopify `{ inventoryItemId: "gid://…" }`, bol `{ offerId }`.
 */
export interface PushTarget {
  /** The shop's SKU, exactly as the shop holds it (trimmed); never empty. */
  sku: string;
  /** The shop's EAN/GTIN for the item, if it has one (for `matchBy: sku-then-ean`). */
  ean: string | null;
  ids: Record<string, string | number>;
}

/** One SKU's new stock for the shop. */
export interface StockUpdate {
  /** The warehouse SKU (the key in the ledger and in `wharf status`). */
  sku: string;
  /** The ids found for it in `push_targets` (by SKU, or by EAN under `matchBy: sku-then-ean`). */
  ids: PushTarget['ids'];
  /** Quantity to set: the warehouse quantity summed over the chosen locations, minus `stockBuffer`, capped at `maxStock`; integer >= 0. */
  quantity: number;
  /** The quantity last pushed successfully to this channel (null: never pushed). For platforms that need it (Shopify `changeFromQuantity`) and for dry-run output. */
  previous: number | null;
}

/** What the shop said to one batch of stock updates. Transport failures are thrown instead (retryable WharfError). */
export interface StockBatchResult {
  /** SKUs the shop confirmed (their new quantity becomes the channel's baseline). */
  done: string[];
  /**
   * SKUs the shop refused for a content reason (product deleted, SKU not managed), with the platform's
   * message. They are shown in `wharf status` and tried again when their quantity changes or on the
   * next `wharf sync CHANNEL stock --full`.
   */
  refused: { sku: string; message: string }[];
}

/** One shipment (one parcel) to report to the shop; several parcels of one order are several pushes. */
export interface ShipmentPush {
  /** Canonical shipment id (stable; Shopify derives its idempotency key from it). */
  shipmentId: string;
  /** Canonical order id (`<merchant>:<channel>:<external id>` style, as the ledger keys it). */
  orderId: string;
  /** The shop's own order id/number as the order pull gave it (the canonical order's `externalId`). */
  orderRef: string;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  /** When the parcel left (ISO 8601), if the report said. */
  shippedAt: string | null;
  /**
   * The lines in this parcel as the shop knows them (src/pipeline/shipment-lines.ts): never empty for a
   * parcel queued by this version (a parcel without lines is the order's remaining lines); `lineRef` =
   * the order line's `lineId` when the order mapping kept it; a bundle appears as its bundle line (bundle
   * SKU, bundle units) once its components shipped. Rows queued by older versions carry the warehouse
   * SKUs and quantities without `lineRef` (and may be empty).
   */
  lines: { sku: string; quantity: number; lineRef?: string }[];
  /** True when, with this parcel, every ordered quantity has shipped (WooCommerce: set `completedStatus` only then). */
  completesOrder: boolean;
  /** Ask the shop to notify the customer (config `push.shipments.notifyCustomer`). */
  notifyCustomer: boolean;
  /**
   * Earlier attempts of this push (0 the first time), counting one that was being sent when its
   * process died (src/push/shipments.ts). When > 0 the last attempt may have reached the shop although
   * its answer was lost: the connector must first READ the remote state (order status,
   * notes/fulfillments carrying this tracking, process status) and send only what is missing.
   */
  attempts: number;
}

/**
 * The outcome of one shipment push. Throws instead: a retryable WharfError for transport trouble
 * (timeout, reset, 429, 5xx: the machinery retries with back-off and sets `attempts`), a non-retryable
 * WharfError carrying the platform's message for a content refusal (order cancelled or deleted in the
 * shop, item already fulfilled): the outbox row fails, visible in `wharf status`, `wharf retry`-able.
 */
export interface ShipmentPushResult {
  /** pushed: sent now; already-there: the remote state shows it was done (an earlier attempt's answer was lost). */
  outcome: 'pushed' | 'already-there';
  /** One line for the log and `wharf sync` (no secrets). */
  detail: string;
}

/**
 * What a platform implements to be pushed to (stock and shipments, issue 9). Everything else — which
 * SKUs changed, `stockBuffer`/`maxStock`/locations, batching to `stockBatchSize`, per-batch progress,
 * the shipment outbox, read-before-resend bookkeeping, retries, `wharf status`, dry-run — is done by
 * src/push/ for every platform alike. A platform without it is registered with `push: undefined`
 * ("not supported yet": enabling `push` on such a channel is a CONFIG_INVALID error).
 */
export interface PushOperations<C extends CommonChannelConfig, X> {
  /** Most stock updates one `pushStock` call may carry (the platform's batch limit, e.g. WooCommerce 100). */
  stockBatchSize: number;
  /**
   * The push ids of one raw product record of `pullProducts` (the same objects the product mapping
   * gets): usually one target, [] when the record has no SKU. Pure, no I/O; never throws on odd
   * records (an item without ids is simply not a target).
   */
  productTargets(record: unknown, config: C): PushTarget[];
  /**
   * Sets the stock of one batch (at most `stockBatchSize` updates, SKUs unique). Idempotent by nature
   * (absolute quantities, or `changeFromQuantity` where the platform wants it). Throws a retryable
   * WharfError for transport trouble and a non-retryable one when the whole batch is refused (e.g. the
   * key may not write); per-SKU refusals go into `refused`.
   */
  pushStock(ctx: X, batch: StockUpdate[]): Promise<StockBatchResult>;
  /** Reports one parcel of one order; see ShipmentPush (read remote state first when `attempts` > 0) and ShipmentPushResult for errors. */
  pushShipment(ctx: X, push: ShipmentPush): Promise<ShipmentPushResult>;
}

/* ------------------------------------------------------------------------------------------------
 * Order webhooks (issue 11 §3): the platform tells Wharf about an order at once; the scheduled pull
 * stays on as the backstop. Signature checking and the HTTP answer live in src/http/webhooks.ts.
 * ---------------------------------------------------------------------------------------------- */

/**
 * What one verified webhook delivery means: `records` (raw order records in exactly the shape the
 * order pull yields, so the ledger sees the same record id and body from both paths), or `ignored`
 * with the reason (a topic Wharf does not take, an order not ready for fulfilment: the pull's own
 * filter, e.g. WooCommerce status pending or Shopify unpaid; the later update that makes it ready
 * comes as another webhook, or with the pull).
 */
export type WebhookOrder = { records: unknown[] } | { ignored: string };

/** What `wharf webhooks install/remove` did: the platform's subscription ids by what happened to them. */
export interface WebhookChange {
  /** Topics subscribed now (e.g. `order.created`, `ORDERS_CREATE`). */
  created: string[];
  /** Topics that already pointed at the URL (brought up to date: secret, active). */
  kept: string[];
  /** Subscriptions deleted (`<topic> <url>`). */
  removed: string[];
}

/** A platform's order webhooks: how they are signed, what a delivery means, and their set-up. */
export interface WebhookOperations<C extends CommonChannelConfig, X> {
  /** Header carrying the base64 HMAC-SHA256 of the raw body (lower case, as node gives headers). */
  signatureHeader: string;
  /** Header naming the topic (`x-wc-webhook-topic`, `x-shopify-topic`). */
  topicHeader: string;
  /** The key of the HMAC, or undefined when the channel has none configured (webhooks refused). */
  secret(config: C): string | undefined;
  /**
   * The order records of one verified delivery of `topic` (JSON `payload`). May read the platform
   * (Shopify: the order as the pull's query shapes it); throws a retryable WharfError when it cannot
   * (the platform retries the delivery), a ContentError when the payload is no order at all.
   */
  receive(ctx: X, config: C, topic: string, payload: unknown): Promise<WebhookOrder>;
  /** Subscribes the order topics to `url`; idempotent (a topic already pointing there is kept and updated). */
  install(ctx: X, config: C, url: string): Promise<WebhookChange>;
  /** Deletes the subscriptions whose address is `url` (or, when `url` is a path, has that path). */
  remove(ctx: X, url: string): Promise<WebhookChange>;
}
