import type { PushOperations } from '../types.js';
import type { LightspeedConfig } from './config.js';
import type { LightspeedContext } from './context.js';
import { pushShipment } from './push-shipment.js';
import { LIGHTSPEED_STOCK_BATCH, pushStock } from './push-stock.js';
import { productTargets } from './push-targets.js';

/** Lightspeed eCom's stock and shipment push (registered in src/connectors/index.ts). */
export const lightspeedPush: PushOperations<LightspeedConfig, LightspeedContext> = {
  stockBatchSize: LIGHTSPEED_STOCK_BATCH,
  productTargets,
  pushStock,
  pushShipment,
};
