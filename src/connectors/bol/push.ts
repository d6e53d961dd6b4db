import type { PushOperations } from '../types.js';
import type { BolConfig } from './config.js';
import type { BolContext } from './context.js';
import { pushShipment } from './push-shipment.js';
import { BOL_STOCK_BATCH, pushStock } from './push-stock.js';
import { productTargets } from './push-targets.js';

/** bol.com's stock and shipment push (registered in src/connectors/index.ts). */
export const bolPush: PushOperations<BolConfig, BolContext> = {
  stockBatchSize: BOL_STOCK_BATCH,
  productTargets,
  pushStock,
  pushShipment,
};
