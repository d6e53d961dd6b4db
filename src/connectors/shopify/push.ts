import type { PushOperations } from '../types.js';
import type { ShopifyConfig } from './config.js';
import type { ShopifyContext } from './graphql.js';
import { pushShipment } from './push-shipment.js';
import { pushStock, SHOPIFY_STOCK_BATCH } from './push-stock.js';
import { productTargets } from './push-targets.js';

/** Shopify's stock and shipment push (registered in src/connectors/index.ts). */
export const shopifyPush: PushOperations<ShopifyConfig, ShopifyContext> = {
  stockBatchSize: SHOPIFY_STOCK_BATCH,
  productTargets,
  pushStock,
  pushShipment,
};
