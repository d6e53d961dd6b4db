import type { Logger } from '../log.js';
import type { HttpTuning } from './http/client.js';

/**
 * What every webshop/marketplace connector hands to the pipeline. Records are the platform's own JSON
 * objects; the channel's mapping (mappings/<platform>.order.yaml) turns them into canonical orders.
 */

/** One page of orders and the cursor to store once the page is committed to the ledger. */
export interface OrderPage {
  records: unknown[];
  /**
   * ISO 8601 UTC timestamp: every order modified before it (minus the overlap window) has been
   * yielded, by this page or an earlier one. Never moves backwards. Store it only after the ledger
   * commit of this page; pass it to the next `pullOrders`. The last page may be empty and carry only
   * the final cursor.
   */
  cursor: string;
}

export interface ProductPage {
  records: unknown[];
}

export interface TestStep {
  step: string;
  ok: boolean;
  detail: string;
}

export interface TestResult {
  ok: boolean;
  steps: TestStep[];
}

/** Runtime settings of a connector that are not part of the channel config. */
export interface ConnectorOptions {
  logger: Logger;
  /** Request timeout/retry knobs (tests use small delays). */
  http?: HttpTuning;
  /** Clock for the cursor's "now" (default Date.now). */
  now?: () => number;
  signal?: AbortSignal;
}

/** Settings every webshop channel shares: defined with the config (config/ imports no connector). */
export type { CommonChannelConfig } from '../config/types.js';
