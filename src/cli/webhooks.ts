import { WharfError } from '../errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { WebhookChange } from '../connectors/index.js';
import { print } from './context.js';
import { usage } from './exit.js';

/**
 * `wharf webhooks install|remove CHANNEL`: subscribes the channel's order webhooks at the shop to
 * `url` (which must end in /webhooks/<merchant>/<channel>, the daemon's route), or deletes the ones
 * pointing there. Both are idempotent. Throws USAGE for a channel without webhooks or a bad URL,
 * and what the connector throws (AUTH_FAILED with the missing permission named).
 */
export async function webhooksCommand(cfg: LoadedConfig, action: 'install' | 'remove', name: string, url: string | undefined, logger: Logger): Promise<void> {
  const [{ findChannel }, { connectorOf, isApiChannelType }] = await Promise.all([import('../config/load.js'), import('../daemon/connectors.js')]);
  const entry = findChannel(cfg, name);
  if (!isApiChannelType(entry.config.type)) throw usage(`${entry.key} is a ${entry.config.type} channel; webhooks are for WooCommerce and Shopify channels`);
  const connector = connectorOf(entry, logger);
  const hooks = connector.webhooks;
  if (!hooks) throw usage(`${entry.key} is a ${connector.type} channel; Wharf takes webhooks from WooCommerce and Shopify only (the scheduled pull brings its orders)`);
  const route = `/webhooks/${entry.merchant}/${entry.channel}`;
  if (action === 'install') {
    if (!url) throw usage('--url is required: the public address of this gateway\'s webhook route', `e.g. --url https://wharf.example.com${route}`);
    checkUrl(url, route);
    if (!hooks.secret) {
      throw new WharfError('CONFIG_INVALID', `${entry.key} has no webhook secret, so Wharf could not check the shop's signatures`, {
        field: 'webhooks.secret',
        hint: connector.type === 'shopify' ? 'set webhooks.secret to the app\'s API secret key (custom apps; Dev Dashboard apps use clientSecret)' : 'set webhooks: { secret: ${WOO_…_WEBHOOK_SECRET} } in the channel (16+ random characters) and restart wharf run first',
      });
    }
    report(entry.key, await hooks.install(url));
    return;
  }
  if (url) checkUrl(url, route);
  report(entry.key, await hooks.remove(url ?? route));
}

function checkUrl(url: string, route: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usage(`--url ${url.slice(0, 80)} is not a URL`, `e.g. https://wharf.example.com${route}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw usage(`--url must be an http(s) address, not ${u.protocol}`);
  if (u.pathname.replace(/\/+$/, '') !== route) throw usage(`--url must end in ${route}: the route of this channel's webhooks (it ends in ${u.pathname.slice(0, 80)})`, `e.g. ${u.origin}${route}`);
}

function report(key: string, c: WebhookChange): void {
  for (const t of c.created) print(`created  ${t}`);
  for (const t of c.kept) print(`kept     ${t} (already there, brought up to date)`);
  for (const t of c.removed) print(`removed  ${t}`);
  if (!c.created.length && !c.kept.length && !c.removed.length) print(`${key}: no webhooks of Wharf found at the shop; nothing to remove`);
  else print(`${key}: webhooks ${c.removed.length ? `removed: ${c.removed.length}` : `subscribed: ${c.created.length} new, ${c.kept.length} already there`}`);
}
