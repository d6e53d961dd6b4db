import type { CommonChannelConfig } from './types.js';
import { commonDefaults } from './http/config.js';
import { wooDefaults } from './woocommerce/config.js';
import { shopifyDefaults } from './shopify/config.js';
import { lightspeedDefaults } from './lightspeed/config.js';
import { bolDefaults } from './bol/config.js';
import { retailcrmDefaults } from './retailcrm/config.js';

/**
 * What is known of the webshop platforms without loading their connectors (index.ts, some 70
 * modules): their names, default mapping names and push settings. The daemon, the exports and the CLI
 * read these for every config; the connectors themselves are loaded only for a config with a webshop
 * channel (docs/benchmarks.md "Process start").
 */
export const platformDefaults = {
  woocommerce: wooDefaults,
  shopify: shopifyDefaults,
  lightspeed: lightspeedDefaults,
  bol: bolDefaults,
  retailcrm: retailcrmDefaults,
} as const;

export type Platform = keyof typeof platformDefaults;
export const PLATFORMS = Object.keys(platformDefaults) as Platform[];

export function isPlatform(type: unknown): type is Platform {
  return typeof type === 'string' && Object.hasOwn(platformDefaults, type);
}

/** Default mapping names of a platform's orders and products; undefined for a type that is no platform. */
export function platformMappings(type: string): { orders: string; products: string } | undefined {
  return isPlatform(type) ? platformDefaults[type].mappings : undefined;
}

/** The push settings of one channel with every default applied (config `push`, `schedules.stock|shipments`). */
export interface PushSettings {
  stock: { enabled: boolean; pushOnChange: boolean; stockBuffer: number; maxStock: number | undefined; locations: string[] | undefined; matchBy: 'sku' | 'sku-then-ean'; concurrency: number };
  shipments: { enabled: boolean; notifyCustomer: boolean };
  /** Cron expressions (config `schedules.stock`/`shipments`, else every 15 / 5 minutes). */
  schedules: { stock: string; shipments: string };
}

/** The push settings of a channel config, defaults from schemas/channel-api-common.schema.json. */
export function pushSettingsOf(config: CommonChannelConfig): PushSettings {
  const d = commonDefaults.push;
  const stock = config.push?.stock ?? {};
  const ship = config.push?.shipments ?? {};
  return {
    stock: {
      enabled: stock.enabled ?? d.stock.enabled,
      pushOnChange: stock.pushOnChange ?? d.stock.pushOnChange,
      stockBuffer: stock.stockBuffer ?? d.stock.stockBuffer,
      maxStock: stock.maxStock,
      locations: stock.locations,
      matchBy: stock.matchBy ?? d.stock.matchBy,
      concurrency: stock.concurrency ?? d.stock.concurrency,
    },
    shipments: { enabled: ship.enabled ?? d.shipments.enabled, notifyCustomer: ship.notifyCustomer ?? d.shipments.notifyCustomer },
    schedules: {
      stock: config.schedules?.stock ?? commonDefaults.schedules.stock,
      shipments: config.schedules?.shipments ?? commonDefaults.schedules.shipments,
    },
  };
}
