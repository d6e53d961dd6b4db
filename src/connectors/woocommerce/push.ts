import type { PushOperations } from '../types.js';
import type { WooConfig } from './config.js';
import type { WooContext } from './context.js';
import { pushShipment } from './push-shipment.js';
import { pushStock, WOO_BATCH_LIMIT } from './push-stock.js';
import { productTargets } from './push-targets.js';

/** WooCommerce's stock and shipment push (registered in src/connectors/index.ts). */
export const wooPush: PushOperations<WooConfig, WooContext> = {
  stockBatchSize: WOO_BATCH_LIMIT,
  productTargets,
  pushStock,
  pushShipment,
};
