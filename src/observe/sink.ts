/**
 * Where the running code reports countable events (files taken in, deliveries, pushes, API requests)
 * for the Prometheus metrics. This module is tiny and imports nothing: the code it instruments calls
 * `metricsSink()?.…`, which is a no-op until `wharf run` installs the prom-client backed sink
 * (src/observe/metrics.ts, installed by the /metrics routes). So `wharf once`, `wharf validate` and
 * the other commands never load prom-client and pay nothing.
 *
 * Labels are bounded by the config: merchant and channel ids, platform names, record kinds, outcomes
 * and HTTP status codes; never an order id, a file name or a URL.
 */

/** What one batch (a file, an API page) came to, as counted by `fileProcessed`. */
export interface BatchOutcome {
  status: 'imported' | 'partial' | 'duplicate' | 'quarantined';
  /** The record kind of the batch's mapping, when it was loaded. */
  kind?: string;
  /** Records read. */
  records: number;
  newRecords: number;
  cancellations: number;
  duplicates: number;
  /** Records stored that owe no delivery: orders cancelled before they were ever sent, stock levels, shipments. */
  stored: number;
  invalid: number;
}

/** One delivery attempt's result: written, identical file already there, retried later, failed for good. */
export type DeliveryOutcome = 'delivered' | 'unchanged' | 'retry' | 'failed';

export interface MetricsSink {
  /** One batch through intake (`error`: it threw — a ledger or disk fault, or a file that changed while read). */
  fileProcessed(merchant: string, channel: string, outcome: BatchOutcome | 'error'): void;
  /** `n` deliveries of `kind` (order, cancel, product) to the warehouse ended with `outcome`. */
  delivered(merchant: string, channel: string, kind: string, outcome: DeliveryOutcome, n: number): void;
  /** A push run's items: `kind` stock or shipment; outcome pushed, retry, failed, unknown, refused. */
  pushed(merchant: string, channel: string, kind: 'stock' | 'shipment', outcome: string, n: number): void;
  /** A push run ended (ok) or threw (failed). */
  pushRun(merchant: string, channel: string, kind: 'stock' | 'shipment', ok: boolean): void;
  /** An export run ended: written, unchanged, empty, already-done, or failed. */
  exportRun(merchant: string, kind: string, outcome: string): void;
  /** A look at a file channel (and the intake of what it found) took `seconds`; ok false when the look failed. */
  polled(merchant: string, channel: string, seconds: number, ok: boolean): void;
  /** An API pull job (`orders`, `products`) took `seconds`. */
  pulled(merchant: string, channel: string, job: string, seconds: number, ok: boolean): void;
  /** One attempt of a webshop API request answered with HTTP `status`, or `network`: no answer (refused, timeout). */
  apiRequest(labels: ApiLabels, status: number | 'network'): void;
  /** A webshop API request is sent again after a failed or throttled attempt. */
  apiRetry(labels: ApiLabels): void;
  /** A webshop API answer said "slow down" (429, or the platform's other throttle answers). */
  apiThrottled(labels: ApiLabels): void;
}

/** Who an API request is for: the platform, and the channel when the client knows it. */
export interface ApiLabels {
  platform: string;
  merchant: string;
  channel: string;
}

let sink: MetricsSink | undefined;

/** The installed sink, or undefined (nothing is counted). */
export function metricsSink(): MetricsSink | undefined {
  return sink;
}

/** Installs `s` (undefined uninstalls). The daemon installs one; tests may install their own. */
export function setMetricsSink(s: MetricsSink | undefined): void {
  sink = s;
}
