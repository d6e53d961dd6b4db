import type { Logger } from '../log.js';
import type { CommonChannelConfig, ConnectorOptions, OrderPage, ProductPage, TestResult } from '../connectors/types.js';
import * as woocommerce from '../connectors/woocommerce/index.js';
import * as shopify from '../connectors/shopify/index.js';
import * as lightspeed from '../connectors/lightspeed/index.js';

/** The one shape the gateway sees of every webshop/marketplace connector. */
export interface Connector {
  /** Default mapping names (mappings/<platform>.order.yaml / .product.yaml). */
  mappings: { orders: string; products: string };
  pullOrders(config: CommonChannelConfig, options: ConnectorOptions, cursor: string | undefined): AsyncIterable<OrderPage>;
  pullProducts(config: CommonChannelConfig, options: ConnectorOptions): AsyncIterable<ProductPage>;
  testConnection(config: CommonChannelConfig, logger: Logger): Promise<TestResult>;
}

/**
 * Adapts one platform module (createXContext + pullOrders/pullProducts/testConnection) to Connector.
 * The config was validated against that platform's schema by the config loader, which is what makes
 * the cast from the shared channel type safe.
 */
function adapt<C extends CommonChannelConfig, X>(m: {
  mappings: { orders: string; products: string };
  createContext(config: C, options: ConnectorOptions): X;
  pullOrders(ctx: X, cursor: string | undefined): AsyncIterable<OrderPage>;
  pullProducts(ctx: X): AsyncIterable<ProductPage>;
  testConnection(config: C, logger: Logger): Promise<TestResult>;
}): Connector {
  return {
    mappings: m.mappings,
    pullOrders: (config, options, cursor) => m.pullOrders(m.createContext(config as C, options), cursor),
    pullProducts: (config, options) => m.pullProducts(m.createContext(config as C, options)),
    testConnection: (config, logger) => m.testConnection(config as C, logger),
  };
}

export const CONNECTORS: Record<string, Connector> = {
  woocommerce: adapt({ mappings: woocommerce.wooDefaults.mappings, createContext: woocommerce.createWooContext, pullOrders: woocommerce.pullOrders, pullProducts: woocommerce.pullProducts, testConnection: woocommerce.testConnection }),
  shopify: adapt({ mappings: shopify.shopifyDefaults.mappings, createContext: shopify.createShopifyContext, pullOrders: shopify.pullOrders, pullProducts: shopify.pullProducts, testConnection: shopify.testConnection }),
  lightspeed: adapt({ mappings: lightspeed.lightspeedDefaults.mappings, createContext: lightspeed.createLightspeedContext, pullOrders: lightspeed.pullOrders, pullProducts: lightspeed.pullProducts, testConnection: lightspeed.testConnection }),
};

export function isApiChannelType(type: string): boolean {
  return type in CONNECTORS;
}
