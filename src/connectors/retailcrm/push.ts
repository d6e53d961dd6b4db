import type { PushOperations } from '../types.js';
import type { RetailcrmConfig } from './config.js';
import type { RetailcrmContext } from './context.js';
import { pushShipment } from './push-shipment.js';
import { pushStock, RETAILCRM_STOCK_BATCH } from './push-stock.js';
import { productTargets } from './push-targets.js';

/** RetailCRM's stock and shipment push (registered in src/connectors/index.ts). */
export const retailcrmPush: PushOperations<RetailcrmConfig, RetailcrmContext> = {
  stockBatchSize: RETAILCRM_STOCK_BATCH,
  productTargets,
  pushStock,
  pushShipment,
};
