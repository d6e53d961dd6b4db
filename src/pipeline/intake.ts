import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import { ContentError, WharfError, describeError } from '../errors.js';
import { loadMapping } from '../mapping/index.js';
import type { InputMapping } from '../mapping/types.js';
import type { FileInfo, Store } from '../ledger/store.js';
import type { Batch, BatchOutcome } from './ports.js';
import { recordKey, type MerchantRule } from './records.js';
import { readChecked } from './read.js';
import { DEFAULT_ROUTING, FileRouter, type RouteResult, type RoutingPolicy } from './routing.js';
import { writeFileAtomic } from '../transports/folder/atomic.js';
import { ErrorCollector, describeImport, reportHint, summarise, type ErrorEntry, type ErrorReport } from './report.js';
import { metricsSink, type BatchOutcome as Counted } from '../observe/sink.js';
import type { RecordKind } from '../schemas.js';
import type { IntakeGroup } from './group.js';

export interface IntakePolicy {
  onInvalid: 'rejectFile' | 'acceptValid';
  maxFileSize: number;
  /** Shipment exports and the report source's stock policy (default: none, delta). */
  routing?: RoutingPolicy;
  /** Whose each record is (default: the channel's merchant; report sources: fixed or the record's field). */
  merchantOf?: MerchantRule;
}

export interface IntakeDeps {
  /** The ledger; with `group`, that group's store (`group.store`). */
  store: Store;
  mappingsDir: string;
  logger: Logger;
  /**
   * A group commit this batch joins (src/pipeline/group.ts): its ledger writes are committed with the
   * group's, and its ack waits for that commit. The caller has called `group.next()` for this batch.
   */
  group?: IntakeGroup;
}

/** A batch's outcome (the counts the metrics take, src/observe/sink.ts) with its ledger ids and report. */
export interface IntakeResult extends Counted {
  fileId: number;
  traceId: string;
  summary?: string;
  /** For an imported file: every record counted once, as in its log line (`2 new, 0 cancelled, …`). */
  counts?: string;
  quarantinedAt?: string;
  /** The record kind of the batch's mapping (undefined when the batch ended before it was loaded). */
  kind?: RecordKind;
}

/**
 * One batch (a file, an API page) through intake -> map -> validate -> ledger, then acked.
 * Content problems end in quarantine with a report (`ack` with outcome `quarantined`); anything else
 * (ledger, disk, transport) nacks the batch and is rethrown, so the caller retries it later. The
 * batch's source is cleaned up (archive, delete, quarantine) only in `ack`, after the ledger commit
 * (DESIGN rule 3): a crash before it means the batch comes again, and the content hash (or, for a
 * committed batch whose ack did not happen, the unsettled key) turns that into a no-op.
 */
export async function processBatch(batch: Batch, policy: IntakePolicy, deps: IntakeDeps): Promise<IntakeResult> {
  const sink = metricsSink();
  if (!sink) return intake(batch, policy, deps);
  try {
    const result = await intake(batch, policy, deps);
    // In a group the file counts once its group is committed and it is acked (else as an error: it comes again).
    if (deps.group) deps.group.whenDone(batch, () => sink.fileProcessed(batch.merchant, batch.channel, result), () => sink.fileProcessed(batch.merchant, batch.channel, 'error'));
    else sink.fileProcessed(batch.merchant, batch.channel, result);
    return result;
  } catch (err) {
    sink.fileProcessed(batch.merchant, batch.channel, 'error');
    throw err;
  }
}

/** processBatch without the metrics. */
async function intake(batch: Batch, policy: IntakePolicy, deps: IntakeDeps): Promise<IntakeResult> {
  const traceId = randomBytes(6).toString('hex');
  const log = deps.logger.child({ trace: traceId, merchant: batch.merchant, channel: batch.channel, file: batch.name });
  const receivedAt = new Date().toISOString();
  const base = { traceId, records: 0, newRecords: 0, cancellations: 0, duplicates: 0, stored: 0, invalid: 0, kind: undefined as RecordKind | undefined };
  let info: FileInfo = { merchant: batch.merchant, channel: batch.channel, name: batch.name, origin: batch.origin, size: batch.size, sha256: '', mapping: batch.mapping, traceId };

  const quarantineWhole = async (err: unknown, records = 0): Promise<IntakeResult> => {
    const entry: ErrorEntry = { message: describeError(err) };
    if (err instanceof WharfError) {
      if (err.details.record !== undefined) entry.record = err.details.record;
      if (err.details.line !== undefined) entry.line = err.details.line;
      if (err.details.field !== undefined) entry.field = err.details.field;
    }
    const collected = new ErrorCollector();
    collected.add(entry);
    // The file as a whole could not be read: no record of it is "invalid", and the summary says how
    // many records were read before the problem ("0 records read"), never "1 of 0 records invalid".
    const report = buildReport(batch, info, receivedAt, 'rejected', records, 0, 0, collected, true);
    // A file that changed while it was read is not judged on the part that was read.
    await batch.verify?.();
    return quarantine(report, 0);
  };

  const reportJson = (report: ErrorReport) => `${JSON.stringify(report, null, 2)}\n`;
  /**
   * Acks a file whose ledger writes are done: now, or (in a group) once the group is committed, and
   * then forgets its unsettled key. Nothing may follow this in intake: the ack may not have happened yet.
   */
  const settleCommitted = async (outcome: BatchOutcome, forget?: { scope: string; key: string }): Promise<void> => {
    if (deps.group) {
      deps.group.defer({ batch, outcome, ...(forget ? { forget } : {}), log });
      return;
    }
    await batch.ack(outcome);
    if (forget) await deps.store.removeSeen(forget.scope, forget.key);
  };
  // In a group, a quarantine first commits the group (a partly imported file's records must be durable
  // before the file moves) and runs with the store free (a source's ack may write to the ledger).
  const quarantine = (report: ErrorReport, fileIdIfPartial: number): Promise<IntakeResult> =>
    deps.group ? deps.group.outside(() => quarantineNow(report, fileIdIfPartial)) : quarantineNow(report, fileIdIfPartial);
  const quarantineNow = async (report: ErrorReport, fileIdIfPartial: number): Promise<IntakeResult> => {
    // Callers have verified the file (it did not change while it was read).
    if (fileIdIfPartial) withFileId(report, fileIdIfPartial);
    const settled = await batch.ack({ outcome: 'quarantined', reportJson: reportJson(report) });
    let fileId = fileIdIfPartial;
    if (!fileIdIfPartial) {
      fileId = await deps.store.recordQuarantinedFile(info, report.summary, settled.movedTo ?? null, report.recordsInvalid);
      // The ledger gives the file its id only now: write the report again with the id for `wharf retry`.
      if (settled.reportPath) {
        await writeFileAtomic(settled.reportPath, Buffer.from(reportJson(withFileId(report, fileId)))).catch((err: unknown) => {
          log.warn({ report: settled.reportPath, err: describeError(err) }, `could not add file id ${fileId} to the quarantine report`);
        });
      }
    } else {
      await deps.store.setQuarantinePath(fileId, settled.movedTo ?? null);
    }
    log.warn({ fileId, quarantinedAt: settled.movedTo, report: settled.reportPath }, `quarantined: ${report.summary}`);
    return { ...base, status: report.outcome === 'partial' ? 'partial' : 'quarantined', fileId, records: report.recordsRead, invalid: report.recordsInvalid, newRecords: report.recordsImported, summary: report.summary, quarantinedAt: settled.movedTo };
  };

  try {
    if (batch.size > policy.maxFileSize) {
      return await quarantineWhole(new ContentError('FILE_TOO_LARGE', `the file is ${batch.size} bytes, more than this channel's limit of ${policy.maxFileSize}`, {
        hint: 'split the file, or raise maxFileSize for this channel',
      }));
    }
    if (batch.size === 0) {
      return await quarantineWhole(new ContentError('FILE_EMPTY', 'the file is empty', { hint: 'upload the file again; it may have been cut off' }));
    }
    info = { ...info, sha256: await batch.sha256() };
    const earlier = await deps.store.findImportedFile(batch.merchant, batch.channel, info.sha256);
    const unsettled = unsettledKey(batch, info.sha256);
    if (earlier && earlier.status === 'imported' && (await deps.store.hasSeen(unsettled.scope, unsettled.key))) {
      // Our own unfinished step, not a merchant's re-drop: this very file was committed but its archive
      // (or delete) did not happen (a crash, a full archive volume, a dropped connection). Finish it.
      await batch.verify?.();
      await settleCommitted({ outcome: 'imported', sha256: info.sha256 }, unsettled);
      log.info({ fileId: earlier.id }, `finished the clean-up of ${batch.name}, imported earlier as file ${earlier.id}; not read again`);
      return { ...base, status: 'imported', fileId: earlier.id };
    }
    if (earlier && earlier.status === 'partial' && (await deps.store.hasSeen(unsettled.scope, unsettled.key))) {
      // A partly imported file whose move to quarantine did not happen: its valid orders are committed,
      // its invalid ones must still reach the merchant's eyes. The detailed list was not kept, so the
      // report says how to get it rather than archiving the file as a duplicate (which would hide them).
      const collected = new ErrorCollector();
      collected.add({ message: `the list of invalid records was lost when moving this file to quarantine failed after its import; run \`wharf validate ${batch.name} --mapping ${batch.mapping}\` on the quarantined copy to list them` });
      const report = buildReport(batch, info, earlier.receivedAt, 'partial', earlier.records + earlier.invalid, earlier.invalid, earlier.records, collected);
      if (earlier.error) report.summary = earlier.error;
      await batch.verify?.();
      const result = await quarantine(report, earlier.id);
      await deps.store.removeSeen(unsettled.scope, unsettled.key);
      return result;
    }
    if (earlier) {
      await batch.verify?.();
      const fileId = await deps.store.recordDuplicateFile(info, earlier.id);
      await settleCommitted({ outcome: 'duplicate', sha256: info.sha256 });
      log.info({ fileId, original: earlier.id }, `duplicate file: same content as file ${earlier.id} (${earlier.name}, ${earlier.receivedAt}); nothing sent again`);
      return { ...base, status: 'duplicate', fileId };
    }

    let mapping: InputMapping;
    try {
      const m = await loadMapping(batch.mapping, deps.mappingsDir);
      if (m.direction !== 'input') throw new WharfError('MAPPING_INVALID', `mapping ${batch.mapping} is an output mapping; a channel needs an input mapping`, { where: m.file });
      mapping = m;
      base.kind = m.kind;
    } catch (err) {
      return await quarantineWhole(err);
    }

    log.debug({ mapping: mapping.name, sha256: info.sha256 }, 'reading');
    const tx = await deps.store.beginIntake(info);
    const router = new FileRouter(tx, policy.routing ?? DEFAULT_ROUTING, receivedAt);
    const errors = new ErrorCollector();
    let read = 0, invalid = 0, imported = 0, duplicates = 0, fresh = 0, cancellations = 0, stored = 0;
    const provenance = { merchant: batch.merchant, channel: batch.channel, sourceType: batch.sourceType, fileName: batch.name, receivedAt };
    const addError = (e: ErrorEntry) => errors.add(e);
    // Allowed but worth knowing (e.g. optional columns the header lacks, so those fields are left out):
    // carried on the file's one info line, never a line per order and never dropped.
    const notes: string[] = [];
    /** Counts one routed record; a record that contradicts the ledger is reported like a mapping error. */
    const settle = (recordNo: number, line: number | undefined, outcome: RouteResult, id: unknown): void => {
      if (typeof outcome === 'object') {
        // Well-formed but contradicting the ledger (unknown order, over-shipped, listed twice): like a mapping error.
        invalid++;
        for (const p of outcome.invalid) addError({ record: recordNo, ...(line !== undefined ? { line } : {}), field: p.path, message: p.message });
        return;
      }
      imported++;
      if (outcome === 'duplicate') {
        duplicates++;
        log.debug({ record: recordNo, id }, 'duplicate record: already in the ledger; not sent again');
      } else if (outcome === 'cancellation') cancellations++;
      else if (outcome === 'new' || outcome === 'updated' || (outcome === 'stored' && mapping.kind === 'product')) fresh++;
      else stored++; // an order cancelled before it was ever sent (nothing owed), a stock level, a shipment
    };
    try {
      const notice = (message: string) => {
        if (notes.length < 5) notes.push(message);
      };
      const ctx = { merchant: batch.merchant, channel: batch.channel, fileName: batch.name, notice };
      const reading = readChecked(batch, mapping, { ctx, provenance, mappingsDir: deps.mappingsDir, ...(policy.merchantOf ? { merchantOf: policy.merchantOf } : {}) });
      for await (const chunk of reading) {
        for (const rec of chunk) {
          read++;
          const canonical = rec.canonical;
          if (!canonical) {
            // Queued stock levels first: the report lists errors in record order.
            for (const s of await router.flushStock<number | undefined>()) settle(s.recordNo, s.tag, s.result, '');
            invalid++;
            for (const p of rec.problems) addError({ record: rec.recordNo, ...(rec.line !== undefined ? { line: rec.line } : {}), ...(rec.externalId ? { externalId: rec.externalId } : {}), field: p.path, message: p.message });
            continue;
          }
          // With rejectFile the first invalid record decides the file's fate; keep reading only to report.
          if (invalid > 0 && policy.onInvalid === 'rejectFile') continue;
          if (mapping.kind === 'product' && typeof canonical.ean === 'string') {
            // One EAN belongs to one SKU: a second SKU claiming it is reported, never guessed between.
            // (EAN and SKU passed the schema's patterns, so they are short: no echo() needed.)
            const owner = await tx.productSkuForEan(batch.merchant, canonical.ean, String(canonical.sku));
            if (owner) {
              invalid++;
              addError({ record: rec.recordNo, ...(rec.line !== undefined ? { line: rec.line } : {}), field: 'ean', message: `EAN ${canonical.ean} of SKU ${String(canonical.sku)} is already used by SKU ${owner}; correct the product data so that each EAN belongs to one SKU` });
              continue;
            }
          }
          const routed = { kind: mapping.kind, id: recordKey(mapping.kind, canonical), merchant: String(canonical.merchant ?? batch.merchant), channel: batch.channel, body: canonical, recordNo: rec.recordNo };
          if (mapping.kind === 'stock') {
            // Stock levels are decided and written in batches; their outcomes come back a batch at a time.
            if (router.queueStock(routed, rec.line)) for (const s of await router.flushStock<number | undefined>()) settle(s.recordNo, s.tag, s.result, '');
            continue;
          }
          settle(rec.recordNo, rec.line, await router.route(routed), canonical.id ?? routed.id);
        }
      }
      for (const s of await router.flushStock<number | undefined>()) settle(s.recordNo, s.tag, s.result, '');
      await router.finish(invalid);
      // Size, mtime (and inode) re-checked after reading, just before the commit: a writer that stalled
      // longer than minAge and went on meanwhile must not get half its file imported.
      await batch.verify?.();
      if (read === 0) throw new ContentError('FILE_EMPTY', 'the file contains no records', { hint: 'check that the file is complete and matches the mapping' });
    } catch (err) {
      await tx.rollback();
      // Only the content's own faults quarantine a file; a ledger or disk failure leaves it for a retry.
      if (err instanceof ContentError) return await quarantineWhole(err, read);
      throw err;
    }

    if (invalid > 0 && (policy.onInvalid === 'rejectFile' || imported === 0)) {
      await tx.rollback();
      const report = buildReport(batch, info, receivedAt, 'rejected', read, invalid, 0, errors);
      return await quarantine(report, 0);
    }
    if (invalid > 0) {
      const report = buildReport(batch, info, receivedAt, 'partial', read, invalid, imported, errors);
      await tx.addSeen(unsettled.scope, unsettled.key); // as for imported files, below
      await tx.commit({ status: 'partial', records: imported, duplicates, invalid, error: report.summary });
      const result = await quarantine(report, tx.fileId);
      await deps.store.removeSeen(unsettled.scope, unsettled.key);
      return { ...result, newRecords: fresh, cancellations, duplicates, stored };
    }
    // Remembered with the commit and forgotten after the clean-up: should the clean-up not happen, the
    // next look at this file finishes it instead of counting a duplicate from the merchant.
    await tx.addSeen(unsettled.scope, unsettled.key);
    await tx.commit({ status: 'imported', records: imported, duplicates, invalid: 0 });
    await settleCommitted({ outcome: 'imported', sha256: info.sha256 }, unsettled);
    const counts = describeImport(mapping.kind, { fresh, cancellations, duplicates, stored, tally: router.tally });
    log.info({ fileId: tx.fileId, records: read, new: fresh, cancellations, duplicates, stored, ...(notes.length ? { notes } : {}) }, `imported ${batch.name}: ${counts}${notes.length ? ` (note: ${notes.join('; ')})` : ''}`);
    return { ...base, status: 'imported', fileId: tx.fileId, records: read, newRecords: fresh, cancellations, duplicates, stored, counts };
  } catch (err) {
    await batch.nack().catch(() => undefined);
    throw err;
  }
}

/**
 * The seen key that marks a committed batch whose ack (archive, delete, quarantine) is still to
 * happen: the same content (sha256) at the same place (origin) of the same channel.
 */
function unsettledKey(batch: Batch, sha256: string): { scope: string; key: string } {
  return { scope: `unsettled:${batch.merchant}:${batch.channel}`, key: `${sha256} ${batch.origin}` };
}

function buildReport(batch: Batch, info: FileInfo, receivedAt: string, outcome: ErrorReport['outcome'], read: number, invalid: number, imported: number, errors: ErrorCollector, whole = false): ErrorReport {
  return {
    file: batch.name,
    fileId: undefined,
    origin: batch.origin,
    merchant: batch.merchant,
    channel: batch.channel,
    mapping: batch.mapping,
    trace: info.traceId,
    receivedAt,
    outcome,
    summary: summarise(batch.name, outcome, read, invalid, errors.entries, errors.more, whole),
    recordsRead: read,
    recordsInvalid: invalid,
    recordsImported: imported,
    errors: errors.entries,
    moreErrors: errors.more,
    hint: reportHint(outcome, undefined, errors.more),
  };
}

function withFileId(report: ErrorReport, fileId: number): ErrorReport {
  report.fileId = fileId;
  report.hint = reportHint(report.outcome, fileId, report.moreErrors);
  return report;
}
