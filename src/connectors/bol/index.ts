/** bol.com Retailer API v10 connector. https://api.bol.com/retailer/public/Retailer-API/index.html */
export { parseBolConfig, bolApiRoot, bolDefaults, BOL_SCHEMA_FILE, type BolConfig } from './config.js';
export { BolTokenAuth } from './auth.js';
export { bolEndpoint, createBolContext, type BolContext } from './context.js';
export { pullOrders, bolModifiedAt, withItemsToShip } from './orders.js';
export { pullProducts } from './products.js';
export { testConnection } from './test-connection.js';
