import type { ShipmentPush, ShipmentPushResult } from '../types.js';
import type { WooContext } from './context.js';

/**
 * Reports one parcel: an order note with carrier and tracking (`POST /orders/{id}/notes`), then, when
 * the parcel completes the order, `PUT /orders/{id}` with `status: completedStatus` (and the
 * `trackingMetaKeys` as `meta_data` when configured). When `attempts` > 0 it first reads the order and
 * its notes and sends only what is missing (notes are create-only).
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#create-an-order-note
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#update-an-order
 */
export async function pushShipment(ctx: WooContext, push: ShipmentPush): Promise<ShipmentPushResult> {
  void ctx; void push;
  throw new Error('not implemented');
}
