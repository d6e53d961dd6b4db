import { createHash } from 'node:crypto';

/**
 * A deterministic idempotency key: a name-based UUID (RFC 9562 version 5 layout, SHA-1 of a Wharf
 * namespace and `text`). The same content always gives the same key, so a retry of the same batch or
 * shipment (after a lost answer, by the HTTP client or by the outbox) is recognised by Shopify as a
 * duplicate and answered with the first result. Shopify recommends UUIDs as keys.
 * https://shopify.dev/docs/api/usage/implementing-idempotency
 */
export function contentKey(text: string): string {
  const h = createHash('sha1').update('wharf-shopify-push\u0000').update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version 5
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
