import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/daemon/gateway.js';
import { buildHttpServer } from '../../src/http/server.js';
import { webhookRoutes } from '../../src/http/webhooks.js';
import { openStore } from '../../src/ledger/index.js';
import type { Store } from '../../src/ledger/store.js';
import { silentLogger } from '../../src/log.js';
import { workspacesPerTest } from '../helpers/e2e.js';
import { wooOrder } from '../helpers/webshops/woocommerce.js';

/**
 * A webhook that arrives while the daemon is stopping is refused with 503 and Retry-After, so the shop
 * sends it again later, and nothing of it is committed. The gateway is real and really stopping (its
 * stop() called); the server is the daemon's own, driven with fastify's inject (no listening socket).
 */
const HOOK_SECRET = 'whsec-0123456789abcdef0123456789';
const env = { WOO_KEY: 'ck_0123456789abcdef0123456789abcdef01234567', WOO_SECRET: 'cs_0123456789abcdef0123456789abcdef01234567', WOO_HOOK_SECRET: HOOK_SECRET };

const workspace = workspacesPerTest();
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('a webhook while wharf is stopping', () => {
  it('is answered 503 with Retry-After and leaves the ledger untouched; before stop() the same delivery is taken', async () => {
    const ws = await workspace({
      extraChannels: {
        shop: {
          type: 'woocommerce', url: 'https://shop.example', baseUrl: 'http://127.0.0.1:9/wp-json/wc/v3', consumerKey: '${WOO_KEY}', consumerSecret: '${WOO_SECRET}',
          webhooks: { secret: '${WOO_HOOK_SECRET}' }, schedules: { orders: '0 0 1 1 *', products: '0 0 1 1 *' },
        },
      },
    });
    ws.writeConfig({ http: { listen: '127.0.0.1:0' } });
    const cfg = loadConfig(ws.configPath, { ...process.env, ...env });
    store = await openStore(cfg.ledger);
    const gateway = await Gateway.open(cfg, store, silentLogger(), 'once');
    const app = await buildHttpServer(cfg.http!, { config: cfg, store, logger: silentLogger(), gateway }, [webhookRoutes]);
    const deliver = (id: number) => {
      const body = JSON.stringify(wooOrder({ id, status: 'processing', modified: '2026-05-04T08:00:00Z' }));
      return app.inject({
        method: 'POST', url: '/webhooks/demo/shop', payload: body,
        headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-signature': createHmac('sha256', HOOK_SECRET).update(body).digest('base64') },
      });
    };
    try {
      const taken = await deliver(7001);
      expect(taken.statusCode, taken.body).toBe(200);
      expect(taken.json()).toMatchObject({ status: 'imported', newOrders: 1 });

      gateway.stop();
      const refused = await deliver(7002);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('60');
      expect(refused.json()).toMatchObject({ error: 'unavailable' });
      const files = (await store.summary()).channels.find((c) => c.channel === 'shop');
      expect(files?.files.imported).toBe(1);
    } finally {
      await app.close();
    }
  });
});
