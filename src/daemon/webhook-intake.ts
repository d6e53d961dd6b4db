import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import type { ChannelConnector } from '../connectors/index.js';
import { processBatch, type IntakeResult } from '../pipeline/intake.js';
import { pageBatch } from '../sources/page.js';
import type { Batch } from '../pipeline/ports.js';
import { sha256 } from '../pipeline/hash.js';
import { writeQuarantine } from '../sources/quarantine.js';
import { ContentError } from '../errors.js';

/**
 * The order records of one verified webhook delivery through the pipeline as one batch, exactly as an
 * API page of the pull goes (pageBatch: mapping, validation, ledger; invalid records quarantined with
 * their report, duplicates counted). Resolves after the ledger commit; throws (nothing committed) when
 * the ledger or disk fails, so the caller answers with a status the platform retries. A replayed
 * delivery has the same content (sha256), so the ledger calls it a duplicate batch.
 */
/** How much of JSON.parse's message the quarantine report keeps. */
const PARSE_MESSAGE_MAX = 200;

/**
 * A verified webhook delivery whose body is not valid JSON, through the pipeline as one batch: its
 * content is the raw body (its sha256 the duplicate check), and it is quarantined with one error, `the
 * body is not valid JSON: <JSON.parse's message, cut short>` — the quarantined copy is the raw bytes as
 * the shop sent them. Resolves after the ledger commit; throws (nothing committed) when the ledger or
 * disk fails.
 */
export async function intakeUnreadableWebhook(cfg: LoadedConfig, entry: ChannelEntry, connector: ChannelConnector, raw: Buffer, parseMessage: string, store: Store, logger: Logger): Promise<IntakeResult> {
  const name = `orders-webhook-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.json`;
  const hash = sha256(raw);
  const cut = parseMessage.length > PARSE_MESSAGE_MAX ? `${parseMessage.slice(0, PARSE_MESSAGE_MAX)}…` : parseMessage;
  const batch: Batch = {
    merchant: entry.merchant, channel: entry.channel, name, origin: `${connector.type} order webhook`, sourceType: connector.type,
    mapping: connector.mappings.orders, size: raw.length, sha256: async () => hash,
    // eslint-disable-next-line require-yield -- nothing to read: the body is refused as a whole
    async *records() {
      throw new ContentError('PARSE_FAILED', `the body is not valid JSON: ${cut}`, { hint: 'the shop sent a body that is not JSON; see the quarantined copy (the raw body), and ask the shop\'s support if it keeps happening' });
    },
    async ack(outcome) {
      if (outcome.outcome !== 'quarantined') return {};
      const q = await writeQuarantine(entry.quarantineDir, name, raw, outcome.reportJson, false);
      return { movedTo: q.filePath, reportPath: q.reportPath };
    },
    async nack() {},
  };
  return processBatch(batch, { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize }, { store, mappingsDir: cfg.mappingsDir, logger });
}

export async function intakeWebhook(cfg: LoadedConfig, entry: ChannelEntry, connector: ChannelConnector, records: unknown[], store: Store, logger: Logger): Promise<IntakeResult> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const batch = pageBatch({
    merchant: entry.merchant,
    channel: entry.channel,
    // Unique per delivery (two in the same millisecond must not share a quarantine file name).
    name: `orders-webhook-${stamp}-${randomBytes(3).toString('hex')}.json`,
    origin: `${connector.type} order webhook`,
    sourceType: connector.type,
    mapping: connector.mappings.orders,
    records,
    quarantineDir: entry.quarantineDir,
  });
  return processBatch(batch, { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize }, { store, mappingsDir: cfg.mappingsDir, logger });
}
