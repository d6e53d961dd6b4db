/** Lightspeed eCom (C-Series) REST API connector. https://developers.lightspeedhq.com/ecom/ */
export { parseLightspeedConfig, lightspeedApiRoot, lightspeedDefaults, LIGHTSPEED_SCHEMA_FILE, CLUSTERS, type LightspeedConfig } from './config.js';
export { createLightspeedContext, rateLimitPause, type LightspeedContext } from './context.js';
export { pullOrders } from './orders.js';
export { pullProducts } from './products.js';
export { testConnection } from './test-connection.js';
export { lightspeedPush } from './push.js';
