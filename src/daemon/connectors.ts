import { openConnector, type ChannelConnector } from '../connectors/index.js';
import { isPlatform } from '../connectors/platforms.js';
import type { Logger } from '../log.js';
import type { ChannelEntry } from '../config/load.js';

export function isApiChannelType(type: string): boolean {
  return isPlatform(type);
}

/** Default mapping names of a platform (for `wharf check`); also in connectors/platforms.ts, which loads no connector. */
export { platformMappings } from '../connectors/platforms.js';

/** One channel's connector, bound to its config; keep it for the channel's life (rate limits, tokens). */
export function connectorOf(entry: ChannelEntry, logger: Logger): ChannelConnector {
  return openConnector(entry.config, { logger: logger.child({ merchant: entry.merchant, channel: entry.channel }) }, entry.key);
}
