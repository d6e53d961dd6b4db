import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validSignature } from '../../src/http/webhook-signature.js';
import { pointsAt } from '../../src/connectors/webhook-url.js';

const SECRET = 'whsec-0123456789abcdef';
const body = Buffer.from('{"id":4101,"status":"processing","shipping":{"address_1":"Keizersgracht 221 B"}}');
const sign = (b: Buffer | string, s = SECRET) => createHmac('sha256', s).update(b).digest('base64');

describe('webhook signatures (base64 HMAC-SHA256 of the raw body)', () => {
  it('accepts the signature of exactly these bytes and nothing else', () => {
    expect(validSignature(body, sign(body), SECRET)).toBe(true);
    expect(validSignature(body, ` ${sign(body)} `, SECRET)).toBe(true);
    // One byte changed, another secret, the same JSON written differently (re-serialised).
    const changed = Buffer.from(body);
    changed[10] = changed[10]! ^ 1;
    expect(validSignature(changed, sign(body), SECRET)).toBe(false);
    expect(validSignature(body, sign(body, 'another-secret-value'), SECRET)).toBe(false);
    const respaced = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(validSignature(respaced, sign(body), SECRET)).toBe(false);
  });

  it('refuses missing, repeated, truncated, hex-encoded and oversized headers without throwing', () => {
    const good = sign(body);
    expect(validSignature(body, undefined, SECRET)).toBe(false);
    expect(validSignature(body, '', SECRET)).toBe(false);
    expect(validSignature(body, [good, good], SECRET)).toBe(false);
    expect(validSignature(body, good.slice(0, 20), SECRET)).toBe(false);
    expect(validSignature(body, createHmac('sha256', SECRET).update(body).digest('hex'), SECRET)).toBe(false);
    expect(validSignature(body, 'A'.repeat(10_000), SECRET)).toBe(false);
    expect(validSignature(body, '%%%not base64%%%', SECRET)).toBe(false);
  });
});

describe('which webhook addresses are ours', () => {
  it('matches the exact URL, or with a path any address whose path is that route', () => {
    expect(pointsAt('https://wharf.example/webhooks/acme/shop', 'https://wharf.example/webhooks/acme/shop')).toBe(true);
    expect(pointsAt('https://wharf.example/webhooks/acme/shop/', '/webhooks/acme/shop')).toBe(true);
    expect(pointsAt('https://old.example/webhooks/acme/shop', '/webhooks/acme/shop')).toBe(true);
    expect(pointsAt('https://x.example/proxy/webhooks/acme/shop2', '/webhooks/acme/shop')).toBe(false);
    expect(pointsAt('https://x.example/webhooks/acme/shop?x=1', 'https://x.example/webhooks/acme/shop')).toBe(false);
    expect(pointsAt(undefined, '/webhooks/acme/shop')).toBe(false);
    expect(pointsAt('not a url', '/webhooks/acme/shop')).toBe(false);
  });
});
