import { isPlatform, connectors, openConnector, type ChannelConnector } from '../connectors/index.js';
import type { Logger } from '../log.js';
import type { ChannelEntry } from '../config/load.js';

export function isApiChannelType(type: string): boolean {
  return isPlatform(type);
}

/** Default mapping names of a platform (for `wharf check`). */
export function platformMappings(type: string): { orders: string; products: string } | undefined {
  return isPlatform(type) ? connectors[type].defaults.mappings : undefined;
}

/** One channel's connector, bound to its config; keep it for the channel's life (rate limits, tokens). */
export function connectorOf(entry: ChannelEntry, logger: Logger): ChannelConnector {
  return openConnector(entry.config, { logger: logger.child({ merchant: entry.merchant, channel: entry.channel }) }, entry.key);
}
