import type { FileJourney, RelatedFile } from '../api/files.js';
import type { FileRow } from '../../ledger/store.js';
import type { OrderView } from '../api/orders.js';
import type { deliveryView } from '../api/shared.js';
import { html, type Html } from './html.js';
import { fileHref, merchantSelect, quarantineHref, scoped, when } from './layout.js';

type Delivery = ReturnType<typeof deliveryView>;

/** The console's address of an order's page (`recordId` URL-encoded: it holds colons), under the merchant filter when chosen. */
export function orderHref(recordId: string, merchant?: string): string {
  return scoped(`/orders/${encodeURIComponent(recordId)}`, merchant);
}

/** What the Files page shows: the search box, the merchant filter, and a page of the recent files. */
export interface FilesPage {
  /** The configured merchants (the filter's choices). */
  merchants: string[];
  /** The merchant filter, when chosen: the list, the search and every link stay that merchant's. */
  merchant?: string;
  /** The text searched for, and why it found nothing. */
  ref?: string;
  problem?: string;
  /** The page of recent files, newest first; `before` the id this page starts below (absent: the newest). */
  rows: FileRow[];
  before?: number;
  /** The id the next (older) page starts below, when there are older files. */
  olderBefore?: number;
  /** Files per page when not the default (kept in the page links). */
  limit?: number;
}

/** The Files page: search by file id or trace id, the merchant filter, and the recent files (newest first, paged), each linking to its journey. */
export function filesBody(p: FilesPage): Html {
  const m = p.merchant;
  return html`<h1>Files</h1>
<form method="get" action="/files" role="search" class="filter">
<label for="ref">File id or trace id</label>
<input type="text" id="ref" name="ref" value="${p.ref ?? ''}" required maxlength="100" placeholder="e.g. 42 or 4f2a9c01b7de" autocomplete="off">
${m ? html`<input type="hidden" name="merchant" value="${m}">` : ''}
<p><button type="submit">Show the journey</button></p></form>
${p.problem ? html`<p class="err" role="alert">${p.problem}</p>` : ''}
<p class="muted">The file id is the number <code>wharf status</code> and the quarantine list show; the trace id is the 12-character <code>trace</code> of every log line about the file.</p>
<h2 id="recent">Recent files</h2>
<form method="get" action="/files" class="filter"><label for="merchant">Merchant</label>
${merchantSelect(p.merchants, m)}
<button type="submit">Show</button></form>
${p.rows.length === 0
    ? html`<p>No ${p.before ? 'older ' : ''}file${m ? html` of merchant <strong>${m}</strong>` : ''} in the ledger.</p>`
    : html`<div class="table-wrap"><table aria-labelledby="recent">
<thead><tr><th scope="col" class="num">ID</th><th scope="col">File</th><th scope="col">Merchant</th><th scope="col">Channel</th><th scope="col">Outcome</th><th scope="col" class="num">Records</th><th scope="col">Received</th></tr></thead>
<tbody>${p.rows.map((r) => html`<tr><td class="num">${r.id}</td><th scope="row"><a href="${fileHref(r.id, m)}">${r.name}</a></th><td>${r.merchant}</td><td>${r.channel}</td>
<td>${r.status}${r.invalid > 0 ? html`<br><small>${r.invalid} invalid</small>` : ''}</td><td class="num">${r.records}</td><td>${when(r.receivedAt)}</td></tr>`)}</tbody></table></div>`}
<nav aria-label="Pages of recent files" class="pager"><p>${p.before ? html`<a href="${scoped(`/files${p.limit ? `?limit=${p.limit}` : ''}`, m)}">Newest files</a> ` : ''}${p.olderBefore ? html`<a href="${scoped(`/files?before=${p.olderBefore}${p.limit ? `&limit=${p.limit}` : ''}`, m)}">Older files</a>` : ''}</p></nav>`;
}

const STATE_CLASS: Record<Delivery['state'], string> = { done: 'state-ok', pending: 'state-waiting', failed: 'state-failing' };

function deliveryTable(list: Delivery[], label: string): Html {
  if (list.length === 0) return html`<p class="muted">None.</p>`;
  return html`<div class="table-wrap"><table aria-label="${label}">
<thead><tr><th scope="col" class="num">ID</th><th scope="col">Type</th><th scope="col">Destination</th><th scope="col">Record</th><th scope="col">Action</th><th scope="col">State</th><th scope="col" class="num">Attempts</th><th scope="col">Queued</th><th scope="col">Outcome</th></tr></thead>
<tbody>${list.map((d) => html`<tr><td class="num">${d.id}</td><td>${d.type}</td><td>${d.destination}</td><td>${d.recordId}</td><td>${d.action}</td>
<td><span class="state ${STATE_CLASS[d.state]}">${d.state}</span></td><td class="num">${d.attempts}</td><td>${when(d.queuedAt)}</td>
<td>${d.state === 'done' ? html`${when(d.doneAt)}${d.fileName ? html`<br><small>in <code>${d.fileName}</code></small>` : ''}` : d.state === 'failed' ? html`<span class="err">${d.lastError ?? ''}</span>` : html`next attempt ${when(d.nextAttemptAt, 'soon')}${d.lastError ? html`<br><span class="err">${d.lastError}</span>` : ''}`}</td></tr>`)}</tbody></table></div>`;
}

function errorsTable(errors: { record?: number; line?: number; externalId?: string; field?: string; message: string }[], label: string): Html {
  return html`<div class="table-wrap"><table aria-label="${label}">
<thead><tr><th scope="col" class="num">Record</th><th scope="col" class="num">Line</th><th scope="col">Order</th><th scope="col">Field</th><th scope="col">Message</th></tr></thead>
<tbody>${errors.map((e) => html`<tr><td class="num">${e.record ?? ''}</td><td class="num">${e.line ?? ''}</td><td>${e.externalId ?? ''}</td><td>${e.field ? html`<code>${e.field}</code>` : ''}</td><td>${e.message}</td></tr>`)}</tbody></table></div>`;
}

/** Exported for the preview page: the errors table (record, line, order, field, message). */
export { errorsTable };

/** A file's journey page: receipt, read, records (links to the orders), deliveries and pushes, where it went. */
export function journeyBody(j: FileJourney, scope?: string): Html {
  const f = j.file;
  const retryOf = j.related.find((r) => r.relation === 'retryOf');
  return html`<p><a href="${scoped('/files', scope)}">← Files</a></p>
<h1>File ${f.id}: ${f.name}</h1>
${retryOf ? html`<p class="retry-of">This file is the retry of <a href="${fileHref(retryOf.id, scope)}">file ${retryOf.id}</a> (<code>${retryOf.name}</code>), which was in the quarantine.</p>` : ''}
<ol class="journey">
<li><section aria-labelledby="received"><h2 id="received">Received</h2>
<dl class="facts"><dt>Merchant</dt><dd>${f.merchant}</dd><dt>Channel</dt><dd>${f.channel}</dd><dt>Received</dt><dd>${when(f.receivedAt)}</dd>
<dt>From</dt><dd><code>${f.origin}</code></dd><dt>Size</dt><dd>${f.size} bytes</dd><dt>SHA-256</dt><dd><code>${f.sha256}</code></dd>
<dt>Trace id</dt><dd><code>${f.traceId}</code></dd><dt>Mapping</dt><dd>${f.mapping}</dd></dl></section></li>
<li><section aria-labelledby="read"><h2 id="read">Read</h2>
<p>Outcome: <strong>${j.read.outcome}</strong>; ${j.read.records} record(s) imported, ${j.read.duplicates} duplicate(s), ${j.read.invalid} invalid.</p>
${j.read.error ? html`<p class="err">${j.read.error}</p>` : ''}
${j.invalid ? html`<h3>Invalid records</h3>${j.invalid.summary ? html`<p>${j.invalid.summary}</p>` : ''}${j.invalid.errors.length > 0 ? errorsTable(j.invalid.errors, 'Invalid records') : ''}${j.invalid.moreErrors > 0 ? html`<p>${j.invalid.moreErrors} more error(s).</p>` : ''}` : ''}
</section></li>
<li><section aria-labelledby="records"><h2 id="records">Records</h2>
${j.records.length > 0
    ? html`<div class="table-wrap"><table aria-labelledby="records">
<thead><tr><th scope="col" class="num">No.</th><th scope="col">Kind</th><th scope="col">Record</th><th scope="col">Outcome</th><th scope="col">Status</th><th scope="col">Deliveries and pushes</th></tr></thead>
<tbody>${j.records.map((r) => html`<tr><td class="num">${r.recordNo ?? ''}</td><td>${r.kind}</td>
<th scope="row">${r.kind === 'order' ? html`<a href="${orderHref(r.recordId, scope)}">${r.externalId ?? r.recordId}</a>` : r.externalId ?? r.recordId}</th>
<td>${r.outcome}</td><td>${r.status ?? ''}</td><td>${r.deliveries.length > 0 ? r.deliveries.map((d) => html`<span class="state ${STATE_CLASS[d.state]}">${d.type} ${d.state}</span> <small>${d.destination}</small><br>`) : html`<span class="muted">none</span>`}</td></tr>`)}</tbody></table></div>
${j.recordsMore > 0 ? html`<p>${j.recordsMore} more record(s) not listed.</p>` : ''}`
    : html`<p class="muted">No records.</p>`}
</section></li>
<li><section aria-labelledby="deliveries"><h2 id="deliveries">Deliveries and pushes</h2>${deliveryTable(j.deliveries, 'Deliveries and pushes of the file')}</section></li>
<li><section aria-labelledby="where"><h2 id="where">Where the file went</h2>
<p>${placeText(j.location, f.id, scope)}</p>
</section></li>
</ol>
${relatedBlock(j.related, scope)}`;
}

/** The "Where the file went" sentence for each place of FileLocation. */
function placeText(loc: FileJourney['location'], id: number, scope: string | undefined): Html {
  switch (loc.place) {
    case 'quarantine': return html`Quarantine${loc.path ? html`: <code>${loc.path}</code>` : ''} (<a href="${quarantineHref(id, scope)}">its report and actions</a>)`;
    case 'archive': return html`Archived${loc.folder ? html` in <code>${loc.folder}</code>` : ''}`;
    case 'delete': return html`Deleted after import (afterImport: delete)`;
    case 'keep': return html`Left where it was (afterImport: keep)`;
    case 'api': return html`Nothing to move: a page of a webshop pull or a webhook body`;
    case 'retried': return loc.retriedAs !== null
      ? html`Retried from the quarantine: <a href="${fileHref(loc.retriedAs, scope)}">file ${loc.retriedAs}</a> is the retry`
      : html`Retried from the quarantine (the ledger does not say as which file)`;
    case 'dismissed': return html`Dismissed from the quarantine${loc.at ? html` on ${when(loc.at)}` : ''}${loc.note ? html` with the note “${loc.note}”` : ''}`;
    case 'unknown': return html`Unknown: the file's channel is no longer in the config`;
  }
}

const RELATION_TEXT: Record<RelatedFile['relation'], string> = { retryOf: 'Retry of', retriedAs: 'Retried as', sameTrace: 'Same trace id' };

/** The files linked to this one: the quarantined file it is a retry of, the file its retry made, rows of its trace id. */
function relatedBlock(related: RelatedFile[], scope: string | undefined): Html | '' {
  if (related.length === 0) return '';
  return html`<section aria-labelledby="related"><h2 id="related">Related files</h2><ul>${related.map((r) => html`<li>${RELATION_TEXT[r.relation]} <a href="${fileHref(r.id, scope)}">file ${r.id}</a> (<code>${r.name}</code>): ${r.status}, received ${when(r.receivedAt)}</li>`)}</ul></section>`;
}

function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

/** An order's page: where it came from (link to its file's journey), its canonical body, deliveries and pushes, shipments. */
export function orderBody(v: OrderView, scope?: string): Html {
  const o = v.order;
  const src = v.origin;
  return html`<h1>Order ${o.externalId ?? o.id}</h1>
<dl class="facts"><dt>Record id</dt><dd><code>${o.id}</code></dd><dt>Merchant</dt><dd>${o.merchant}</dd><dt>Channel</dt><dd>${o.channel}${src.channelType ? html` <small class="muted">(${src.channelType})</small>` : ''}</dd>
<dt>Status</dt><dd>${o.status ?? ''}</dd><dt>Version</dt><dd>${o.version}</dd><dt>First seen</dt><dd>${when(o.firstSeenAt)}</dd><dt>Changed</dt><dd>${when(o.changedAt)}</dd></dl>
<h2 id="origin">Where it came from</h2>
<p>${src.via === 'api' ? 'Pulled from the webshop' : src.via === 'file' ? 'From a file' : 'Unknown'}${src.file
    ? html`: <a href="${fileHref(src.file.id, scope)}">${src.file.name}</a> (file ${src.file.id}, ${src.file.status}, received ${when(src.file.receivedAt)})${src.recordNo !== null && src.recordNo !== undefined ? html`, record ${src.recordNo}` : ''}${src.traceId ? html`; trace id <code>${src.traceId}</code>` : ''}`
    : ''}.</p>
<h2 id="deliveries">Deliveries and pushes</h2>${deliveryTable(v.deliveries, 'Deliveries and pushes of the order')}
<h2 id="shipments">Shipments</h2>
${v.shipments.length > 0
    ? html`${v.shipments.map((s) => html`<section aria-label="Shipment ${s.externalId ?? s.id}"><h3>Shipment ${s.externalId ?? s.id}</h3><p>${s.status ?? ''} received ${when(s.receivedAt)}</p>${s.body ? html`<pre class="lines">${pretty(s.body)}</pre>` : ''}</section>`)}`
    : html`<p class="muted">No shipments yet.</p>`}
<h2 id="body">Canonical order</h2>
${o.bodyPruned ? html`<p class="muted">The body was pruned (ledger.retention.bodiesDays).</p>` : html`<pre class="lines" tabindex="0" aria-label="Canonical order">${pretty(o.body)}</pre>`}`;
}
