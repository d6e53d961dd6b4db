import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { loadMapping } from '../../src/mapping/index.js';
import { loadSchema } from '../../src/schemas.js';
import { connectors, openConnector, PLATFORMS } from '../../src/connectors/index.js';
import { collect, fastHttp } from '../helpers/webshops/server.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { MAPPINGS } from '../helpers/webshops/mapping.js';

describe('connector registry', () => {
  let server: ReturnType<typeof wooServer>;
  beforeEach(async () => {
    server = await wooServer({ keys: [{ key: 'ck_k', secret: 'cs_s', permissions: 'read_write' }] }).start();
  });
  afterEach(async () => server.stop());

  it('binds a channel config to its platform operations', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: '2026-03-01T10:00:00Z' }));
    const c = openConnector({ type: 'woocommerce', url: 'https://shop.example', consumerKey: 'ck_k', consumerSecret: 'cs_s', baseUrl: `${server.url}/wp-json/wc/v3`, schedules: { orders: '*/2 * * * *' } }, { logger: silentLogger(), http: fastHttp });
    expect(c.type).toBe('woocommerce');
    expect(c.mappings).toEqual({ orders: 'woocommerce.order', products: 'woocommerce.product' });
    expect(c.schedules).toEqual({ orders: '*/2 * * * *', products: '0 * * * *' });
    const pages = await collect(c.pullOrders(undefined));
    expect(pages.at(-1)!.cursor).toBe('2026-03-01T10:00:00.000Z');
    expect((await c.testConnection()).ok).toBe(true);
  });

  it('refuses unknown types and invalid configs with CONFIG_INVALID', () => {
    expect(() => openConnector({ type: 'magento' }, { logger: silentLogger() })).toThrow(/unknown webshop channel type "magento"; known: woocommerce, shopify, lightspeed, bol, retailcrm/);
    expect(() => openConnector({ type: 'shopify', shop: 'acme' }, { logger: silentLogger() })).toThrow(/no credentials: accessToken, or clientId \+ clientSecret, is required/);
  });

  it('every platform has a valid config schema marking its secrets, and compiling mappings', async () => {
    for (const p of PLATFORMS) {
      const schema = loadSchema(connectors[p].schemaFile) as { unevaluatedProperties: boolean; allOf: { $ref: string }[]; properties: Record<string, { 'x-secret'?: boolean }> };
      // Unknown fields are refused, the shared fields come from one schema.
      expect(schema.unevaluatedProperties, p).toBe(false);
      expect(schema.allOf, p).toEqual([{ $ref: 'channel-api-common.schema.json' }]);
      expect(Object.values(schema.properties).some((v) => v['x-secret']), p).toBe(true);
      for (const kind of ['orders', 'products'] as const) {
        const m = await loadMapping(connectors[p].defaults.mappings[kind], MAPPINGS);
        expect(m.direction, `${p} ${kind}`).toBe('input');
        expect(m.kind).toBe(kind === 'orders' ? 'order' : 'product');
      }
    }
  });
});
