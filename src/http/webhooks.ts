import type { FastifyReply } from 'fastify';
import { describeError, isRetryable } from '../errors.js';
import type { HttpRoutes } from './server.js';
import { validSignature } from './webhook-signature.js';

/** A merchant or channel name as the config allows it (no slashes, bounded). */
const NAME = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' } as const;

/** WooCommerce's ping when a webhook is created: a form body `webhook_id=<id>`, unsigned. */
const WOO_PING = /^webhook_id=\d{1,20}$/;

/**
 * `POST /webhooks/<merchant>/<channel>`: the order webhooks of WooCommerce and Shopify channels.
 * Public (no access token): the signature over the raw body is the authentication. Answers
 * - 200 `{status: imported|duplicate|quarantined|partial}` after the ledger commit (a body that is no
 *   order the mapping accepts is quarantined like a bad API page and answered 200: sending it again
 *   would not change it; `wharf retry` takes it after the mapping is fixed; a body that is not JSON
 *   is quarantined as its raw bytes with the one error `the body is not valid JSON: …`);
 * - 200 `{status: ignored}` for a topic or order state Wharf does not take; 200 `{status: ok}` for WooCommerce's ping;
 * - 401 for a missing or wrong signature (logged without the body), 404 for an unknown channel or
 *   one without a webhook secret, 413 over http.bodyLimit;
 * - 503 when Wharf could not take it (stopping, ledger or shop unreachable): the platform sends it again.
 * The body parser of this plugin (its own encapsulation context) keeps the raw bytes for the HMAC.
 */
export const webhookRoutes: HttpRoutes = async (app, deps) => {
  const log = deps.logger.child({ component: 'webhooks' });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post<{ Params: { merchant: string; channel: string } }>('/webhooks/:merchant/:channel', {
    config: { public: true },
    schema: { params: { type: 'object', properties: { merchant: NAME, channel: NAME }, required: ['merchant', 'channel'] } },
  }, async (request, reply) => {
    const { merchant, channel } = request.params;
    const where = { merchant, channel, ip: request.ip };
    const api = deps.gateway.apiChannel(merchant, channel);
    const hooks = api?.connector.webhooks;
    if (!api || !hooks) return answer(reply, 404, { error: 'not found', message: `no WooCommerce or Shopify channel ${merchant}/${channel} in this gateway` });
    if (!hooks.secret) {
      log.warn(where, `webhook refused: channel ${merchant}/${channel} has no webhook secret (set webhooks.secret${api.connector.type === 'shopify' ? ' or clientSecret' : ''})`);
      return answer(reply, 404, { error: 'not found', message: `webhooks are not set up for ${merchant}/${channel}` });
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = request.headers[hooks.signatureHeader];
    if (signature === undefined && api.connector.type === 'woocommerce' && WOO_PING.test(raw.toString('latin1'))) {
      log.info(where, 'WooCommerce webhook ping answered');
      return answer(reply, 200, { status: 'ok', message: 'ping received' });
    }
    const topicHeader = request.headers[hooks.topicHeader];
    const topic = typeof topicHeader === 'string' ? topicHeader.slice(0, 60) : '';
    if (!validSignature(raw, signature, hooks.secret)) {
      log.warn({ ...where, topic, bytes: raw.length }, `webhook refused: ${signature === undefined ? 'no' : 'wrong'} signature (${hooks.signatureHeader}); the body is not logged`);
      return answer(reply, 401, { error: 'unauthorized', message: `the ${hooks.signatureHeader} signature is ${signature === undefined ? 'missing' : 'not valid for this body'}` });
    }
    if (deps.gateway.isStopping) return answer(reply.header('retry-after', '60'), 503, { error: 'unavailable', message: 'Wharf is stopping; send it again later' });

    let payload: unknown;
    let notJson: string | undefined;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      // Signed by the shop but no JSON: quarantined as the raw bytes with that one error (answered 2xx,
      // like any body the mapping refuses: sending it again would not change it).
      notJson = err instanceof Error ? err.message : String(err);
      payload = null;
    }
    try {
      // A topic Wharf does not take is ignored whatever its body; not JSON for an order topic is quarantined.
      const got = await hooks.receive(topic, payload);
      if ('ignored' in got) {
        log.info({ ...where, topic }, `webhook ignored: ${got.ignored}`);
        return answer(reply, 200, { status: 'ignored', message: got.ignored });
      }
      if (notJson !== undefined) {
        const r = await deps.gateway.intakeUnreadableWebhook(api, raw, notJson);
        log.warn({ ...where, topic, fileId: r.fileId, trace: r.traceId }, `webhook body is not valid JSON: ${r.status}`);
        return answer(reply, 200, { status: r.status, fileId: r.fileId, newOrders: 0, cancellations: 0, duplicates: 0, invalid: r.invalid, ...(r.summary ? { message: r.summary } : {}) });
      }
      const r = await deps.gateway.intakeWebhook(api, got.records);
      log.info({ ...where, topic, fileId: r.fileId, trace: r.traceId }, `webhook taken: ${r.status}${r.newRecords ? `, ${r.newRecords} new` : ''}${r.duplicates ? `, ${r.duplicates} duplicate` : ''}`);
      return answer(reply, 200, { status: r.status, fileId: r.fileId, newOrders: r.newRecords, cancellations: r.cancellations, duplicates: r.duplicates, invalid: r.invalid, ...(r.summary ? { message: r.summary } : {}) });
    } catch (err) {
      // Nothing committed: the platform's retry (or the scheduled pull) brings the order again.
      log.error({ ...where, topic, retryable: isRetryable(err) }, `webhook not taken, answered 503 so the shop sends it again: ${describeError(err)}`);
      return answer(reply.header('retry-after', '60'), 503, { error: 'unavailable', message: 'Wharf could not take this delivery now; send it again later' });
    }
  });
};

function answer(reply: FastifyReply, status: number, body: Record<string, unknown>): FastifyReply {
  return reply.code(status).send(body);
}
