import type { Logger } from '../log.js';
import { WharfError } from '../errors.js';
import type { HttpTuning } from './http/client.js';
import { commonDefaults } from './http/config.js';
import type { CommonChannelConfig, ConnectorOptions, OrderPage, ProductPage, PushOperations, PushTarget, ShipmentPush, ShipmentPushResult, StockBatchResult, StockUpdate, TestResult, WebhookChange, WebhookOperations, WebhookOrder } from './types.js';
import { isPlatform, PLATFORMS, pushSettingsOf, type Platform, type PushSettings } from './platforms.js';
import * as woocommerce from './woocommerce/index.js';
import * as shopify from './shopify/index.js';
import * as lightspeed from './lightspeed/index.js';
import * as bol from './bol/index.js';
import * as retailcrm from './retailcrm/index.js';

/**
 * The webshop and marketplace connectors behind one shape. Each platform folder exports the same
 * operations with its own config and context types; `openConnector` binds one channel's config to
 * them so the daemon, the scheduler and the CLI never branch on the platform.
 */

export { isPlatform, PLATFORMS, platformMappings, pushSettingsOf, type Platform, type PushSettings } from './platforms.js';
export type { OrderPage, ProductPage, TestResult, TestStep, ConnectorOptions, PushTarget, StockUpdate, StockBatchResult, ShipmentPush, ShipmentPushResult, PushOperations, WebhookChange, WebhookOperations, WebhookOrder } from './types.js';


export interface ConnectorModule<C extends CommonChannelConfig, X> {
  schemaFile: string;
  parseConfig(raw: unknown, where?: string): C;
  createContext(config: C, options: ConnectorOptions): X;
  pullOrders(ctx: X, cursor: string | undefined): AsyncIterable<OrderPage>;
  pullProducts(ctx: X): AsyncIterable<ProductPage>;
  testConnection(config: C, logger: Logger, http?: HttpTuning): Promise<TestResult>;
  defaults: { mappings: { orders: string; products: string } };
  /** Stock/shipment push, or undefined while the platform has none yet. */
  push: PushOperations<C, X> | undefined;
  /** Order webhooks (issue 11), or absent for a platform without them. */
  webhooks?: WebhookOperations<C, X>;
}

export const connectors = {
  woocommerce: { schemaFile: woocommerce.WOO_SCHEMA_FILE, parseConfig: woocommerce.parseWooConfig, createContext: woocommerce.createWooContext, pullOrders: woocommerce.pullOrders, pullProducts: woocommerce.pullProducts, testConnection: woocommerce.testConnection, defaults: woocommerce.wooDefaults, push: woocommerce.wooPush, webhooks: woocommerce.wooWebhooks },
  shopify: { schemaFile: shopify.SHOPIFY_SCHEMA_FILE, parseConfig: shopify.parseShopifyConfig, createContext: shopify.createShopifyContext, pullOrders: shopify.pullOrders, pullProducts: shopify.pullProducts, testConnection: shopify.testConnection, defaults: shopify.shopifyDefaults, push: shopify.shopifyPush, webhooks: shopify.shopifyWebhooks },
  lightspeed: { schemaFile: lightspeed.LIGHTSPEED_SCHEMA_FILE, parseConfig: lightspeed.parseLightspeedConfig, createContext: lightspeed.createLightspeedContext, pullOrders: lightspeed.pullOrders, pullProducts: lightspeed.pullProducts, testConnection: lightspeed.testConnection, defaults: lightspeed.lightspeedDefaults, push: lightspeed.lightspeedPush },
  bol: { schemaFile: bol.BOL_SCHEMA_FILE, parseConfig: bol.parseBolConfig, createContext: bol.createBolContext, pullOrders: bol.pullOrders, pullProducts: bol.pullProducts, testConnection: bol.testConnection, defaults: bol.bolDefaults, push: bol.bolPush },
  retailcrm: { schemaFile: retailcrm.RETAILCRM_SCHEMA_FILE, parseConfig: retailcrm.parseRetailcrmConfig, createContext: retailcrm.createRetailcrmContext, pullOrders: retailcrm.pullOrders, pullProducts: retailcrm.pullProducts, testConnection: retailcrm.testConnection, defaults: retailcrm.retailcrmDefaults, push: retailcrm.retailcrmPush },
} as const satisfies Record<Platform, unknown> & {
  woocommerce: ConnectorModule<woocommerce.WooConfig, woocommerce.WooContext>;
  shopify: ConnectorModule<shopify.ShopifyConfig, shopify.ShopifyContext>;
  lightspeed: ConnectorModule<lightspeed.LightspeedConfig, lightspeed.LightspeedContext>;
  bol: ConnectorModule<bol.BolConfig, bol.BolContext>;
  retailcrm: ConnectorModule<retailcrm.RetailcrmConfig, retailcrm.RetailcrmContext>;
};


/** One channel's connector with its config applied: what the daemon, scheduler and CLI use. */
export interface ChannelConnector {
  readonly type: Platform;
  /** Mapping names for this channel's records (config `mappings`, else `<platform>.order|product`). */
  readonly mappings: { orders: string; products: string };
  /** Cron expressions (config `schedules`, else every 5 minutes / hourly). */
  readonly schedules: { orders: string; products: string };
  /** Pages of raw order records; pass the cursor stored after the last committed page ('' or undefined the first time). */
  pullOrders(cursor: string | undefined): AsyncIterable<OrderPage>;
  pullProducts(): AsyncIterable<ProductPage>;
  testConnection(): Promise<TestResult>;
  /** Stock and shipment push of this channel (see PushOperations); `supported` false while the platform has none. */
  readonly push: ChannelPush;
  /** Order webhooks of this channel, or undefined when the platform has none (see WebhookOperations). */
  readonly webhooks: ChannelWebhooks | undefined;
}

/** One channel's order webhooks, bound to its config and context. */
export interface ChannelWebhooks {
  readonly signatureHeader: string;
  readonly topicHeader: string;
  /** The HMAC key, undefined when the channel configures none. Never log it. */
  readonly secret: string | undefined;
  receive(topic: string, payload: unknown): Promise<WebhookOrder>;
  install(url: string): Promise<WebhookChange>;
  remove(url: string): Promise<WebhookChange>;
}

/** One channel's push operations, bound to its config and context. */
export interface ChannelPush {
  readonly supported: boolean;
  readonly settings: PushSettings;
  /** Most updates per `pushStock` call. */
  readonly stockBatchSize: number;
  productTargets(record: unknown): PushTarget[];
  pushStock(batch: StockUpdate[]): Promise<StockBatchResult>;
  pushShipment(push: ShipmentPush): Promise<ShipmentPushResult>;
}

/**
 * Validates a channel config (`type` picks the platform; CONFIG_INVALID lists every problem) and
 * binds it. Create one per channel and keep it: it holds the channel's rate limiter, the Shopify cost
 * bucket and the bol token.
 */
export function openConnector(raw: unknown, options: ConnectorOptions, where?: string): ChannelConnector {
  const type = (raw as { type?: unknown } | null)?.type;
  if (!isPlatform(type)) {
    throw new WharfError('CONFIG_INVALID', `unknown webshop channel type ${JSON.stringify(type)}; known: ${PLATFORMS.join(', ')}`, { where, field: 'type' });
  }
  return bind(connectors[type] as unknown as ConnectorModule<CommonChannelConfig, unknown>, type, raw, options, where);
}

function bind<C extends CommonChannelConfig, X>(m: ConnectorModule<C, X>, type: Platform, raw: unknown, options: ConnectorOptions, where?: string): ChannelConnector {
  const config = m.parseConfig(raw, where);
  let ctx: X | undefined;
  const context = () => (ctx ??= m.createContext(config, options));
  return {
    type,
    mappings: { orders: config.mappings?.orders ?? m.defaults.mappings.orders, products: config.mappings?.products ?? m.defaults.mappings.products },
    schedules: { orders: config.schedules?.orders ?? commonDefaults.schedules.orders, products: config.schedules?.products ?? commonDefaults.schedules.products },
    pullOrders: (cursor) => m.pullOrders(context(), cursor),
    pullProducts: () => m.pullProducts(context()),
    testConnection: () => m.testConnection(config, options.logger, options.http),
    push: bindPush(m.push, type, config, context, where),
    webhooks: m.webhooks ? bindWebhooks(m.webhooks, config, context) : undefined,
  };
}

function bindPush<C extends CommonChannelConfig, X>(ops: PushOperations<C, X> | undefined, type: Platform, config: C, context: () => X, where?: string): ChannelPush {
  const settings = pushSettingsOf(config);
  if (!ops) {
    if (settings.stock.enabled || settings.shipments.enabled) {
      throw new WharfError('CONFIG_INVALID', `pushing stock or shipments to ${type} is not supported yet`, { where, field: 'push', hint: 'remove `push` (or set its `enabled` to false) for this channel' });
    }
    const unsupported = (): never => {
      throw new WharfError('CONFIG_INVALID', `pushing stock or shipments to ${type} is not supported yet`, { where, field: 'push' });
    };
    return { supported: false, settings, stockBatchSize: 1, productTargets: () => [], pushStock: unsupported, pushShipment: unsupported };
  }
  return {
    supported: true,
    settings,
    stockBatchSize: ops.stockBatchSize,
    productTargets: (record) => ops.productTargets(record, config),
    pushStock: (batch) => ops.pushStock(context(), batch),
    pushShipment: (push) => ops.pushShipment(context(), push),
  };
}

function bindWebhooks<C extends CommonChannelConfig, X>(ops: WebhookOperations<C, X>, config: C, context: () => X): ChannelWebhooks {
  return {
    signatureHeader: ops.signatureHeader,
    topicHeader: ops.topicHeader,
    secret: ops.secret(config),
    receive: (topic, payload) => ops.receive(context(), config, topic, payload),
    install: (url) => ops.install(context(), config, url),
    remove: (url) => ops.remove(context(), url),
  };
}
