/**
 * True when a webhook's `address` is ours: equal to `url`, or, when `url` is a path
 * (`/webhooks/acme/shop`, what `wharf webhooks remove` uses without --url), ending with it
 * (a trailing slash on either side ignored).
 */
export function pointsAt(address: string | undefined, url: string): boolean {
  if (!address) return false;
  if (!url.startsWith('/')) return address === url;
  const path = url.replace(/\/+$/, '');
  try {
    return new URL(address).pathname.replace(/\/+$/, '') === path;
  } catch {
    return false;
  }
}
