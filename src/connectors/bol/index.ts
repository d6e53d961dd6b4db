/** bol.com connector: Retailer API v10 (orders, shipments) and Offers API v11 (offer list, stock). https://api.bol.com/retailer/public/Retailer-API/index.html */
export { parseBolConfig, bolApiRoot, bolDefaults, BOL_SCHEMA_FILE, type BolConfig } from './config.js';
export { BolTokenAuth } from './auth.js';
export { bolEndpoint, createBolContext, type BolContext } from './context.js';
export { pullOrders, bolModifiedAt, withItemsToShip } from './orders.js';
export { pullProducts } from './products.js';
export { testConnection } from './test-connection.js';
export { bolPush } from './push.js';
export { BOL_MAX_STOCK, BOL_STOCK_BATCH } from './push-stock.js';
export { BOL_TRANSPORTER_CODES, DEFAULT_TRANSPORTER_CODES, transporterCode } from './transporters.js';
