/** Shopify Admin GraphQL API connector. https://shopify.dev/docs/api/admin-graphql */
export { parseShopifyConfig, shopifyApiRoot, shopDomain, shopifyDefaults, SHOPIFY_SCHEMA_FILE, type ShopifyConfig } from './config.js';
export { createShopifyContext, graphql, type ShopifyContext } from './graphql.js';
export { pullOrders, READY_FILTER, CANCELLED_FILTER } from './orders.js';
export { pullProducts } from './products.js';
export { testConnection, REQUIRED_SCOPES } from './test-connection.js';
export { shopifyPush } from './push.js';
export { shopifyWebhooks, SHOPIFY_ORDER_TOPICS } from './webhooks.js';
