import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * True when `header` is the base64 HMAC-SHA256 of `raw` with `secret`: how WooCommerce
 * (X-WC-Webhook-Signature) and Shopify (X-Shopify-Hmac-Sha256) sign a delivery. Compared in constant
 * time over the 32 digest bytes; a header that is missing, repeated, or decodes to another length is
 * false. `raw` must be the body's bytes as received (a re-serialised JSON would not match).
 * https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
 */
export function validSignature(raw: Buffer, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || header.length === 0 || header.length > 100) return false;
  const given = Buffer.from(header.trim(), 'base64');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The signature header value for `raw` (tests and the test servers sign with it). */
export function signBody(raw: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(raw).digest('base64');
}
