/** WooCommerce REST API v3 connector. https://woocommerce.github.io/woocommerce-rest-api-docs/ */
export { parseWooConfig, wooApiRoot, wooDefaults, WOO_SCHEMA_FILE, type WooConfig } from './config.js';
export { createWooContext, type WooContext } from './context.js';
export { pullOrders } from './orders.js';
export { pullProducts } from './products.js';
export { testConnection } from './test-connection.js';
export { wooPush } from './push.js';
export { wooWebhooks, WOO_ORDER_TOPICS } from './webhooks.js';
