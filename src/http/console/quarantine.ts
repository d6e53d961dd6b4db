import type { FileRow } from '../../ledger/store.js';
import type { FileHead, ReportRead } from '../../daemon/quarantine-file.js';
import { HEAD_MAX_BYTES } from '../../daemon/quarantine-file.js';
import { html, type Html } from './html.js';
import { fileHref, merchantSelect, quarantineHref, scoped, when } from './layout.js';

/** The most of a reason a list row shows (the file's page has the whole report). */
const REASON_MAX = 240;

/** A ledger error as the list shows it: without the file name it starts with, cut short. */
export function reasonSummary(row: FileRow): string {
  let s = row.error ?? '';
  if (s.startsWith(`${row.name}: `)) s = s.slice(row.name.length + 2);
  return s.length > REASON_MAX ? `${s.slice(0, REASON_MAX)}…` : s;
}

/** The quarantine list page's body; `merchants` are the configured ones (the filter's choices). */
export function quarantineListBody(rows: FileRow[], merchants: string[], merchant: string | undefined): Html {
  return html`<h1>Quarantine</h1>
<form method="get" action="/quarantine" class="filter"><label for="merchant">Merchant</label>
${merchantSelect(merchants, merchant)}
<button type="submit">Show</button></form>
${rows.length === 0
    ? html`<p>No file in quarantine${merchant ? html` for merchant <strong>${merchant}</strong>` : ''}.</p>`
    : html`<div class="table-wrap"><table aria-describedby="qcount"><caption id="qcount">${rows.length} file(s)${merchant ? html` of merchant ${merchant}` : ''}</caption>
<thead><tr><th scope="col">ID</th><th scope="col">File</th><th scope="col">Merchant</th><th scope="col">Channel</th><th scope="col">Reason</th><th scope="col">Received</th><th scope="col">Journey</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td><a href="${quarantineHref(r.id, merchant)}">${r.id}</a></td><th scope="row"><a href="${quarantineHref(r.id, merchant)}">${r.name}</a>${r.status === 'partial' ? html`<br><small>partly imported</small>` : ''}</th>
<td>${r.merchant}</td><td>${r.channel}</td><td>${reasonSummary(r)}</td><td>${when(r.receivedAt)}</td><td><a href="${fileHref(r.id, merchant)}" aria-label="Journey of file ${r.id}">journey</a></td></tr>`)}</tbody></table></div>`}`;
}

/** The report's hint as the console says it: the Retry button is next to it, so "run `wharf retry 5`" becomes "press Retry, or run `wharf retry 5`". */
function consoleHint(hint: string): string {
  return hint.replace(/\brun (`wharf retry \d+`)/, 'press Retry, or run $1');
}

function reportTable(read: ReportRead): Html {
  if (!read.ok) return html`<p class="err">${read.problem}</p>`;
  const r = read.report;
  return html`<p>${r.summary}</p>
<div class="table-wrap"><table aria-labelledby="report">
<thead><tr><th scope="col" class="num">Record</th><th scope="col" class="num">Line</th><th scope="col">Order</th><th scope="col">Field</th><th scope="col">Value and message</th></tr></thead>
<tbody>${r.errors.map((e) => html`<tr><td class="num">${e.record ?? ''}</td><td class="num">${e.line ?? ''}</td><td>${e.externalId ?? ''}</td><td>${e.field ? html`<code>${e.field}</code>` : ''}</td><td>${e.message}</td></tr>`)}</tbody>
</table></div>
${r.moreErrors > 0 ? html`<p>${r.moreErrors} more error(s) not in the report; <code>wharf validate</code> lists them all.</p>` : ''}
<p class="muted">${consoleHint(r.hint)}</p>`;
}

function headBlock(head: FileHead | { problem: string }, marked: Set<number>): Html {
  if ('problem' in head) return html`<p class="err">${head.problem}</p>`;
  if (head.lines.length === 0 || (head.lines.length === 1 && head.lines[0] === '')) return html`<p class="muted">The file is empty.</p>`;
  return html`<pre class="lines" tabindex="0" aria-label="First lines of the file">${head.lines.map((l, i) => {
    const text = html`<span class="ln">${i + 1}</span>${l}`;
    return html`${marked.has(i + 1) ? html`<mark>${text}</mark>` : text}\n`;
  })}</pre>
<p class="muted"><small>${head.more ? `The first ${head.lines.length} line(s) (at most ${HEAD_MAX_BYTES / 1024} KiB) of ${head.size} bytes.` : `The whole file, ${head.size} bytes.`} Lines named in the report are marked.</small></p>`;
}

/** A quarantined file's page: facts, the report next to the first lines, and the Retry and Dismiss forms. */
export function quarantineFileBody(row: FileRow, report: ReportRead | undefined, head: FileHead | { problem: string } | undefined, scope?: string): Html {
  const inQuarantine = row.status === 'quarantined' || (row.status === 'partial' && row.quarantinePath !== null);
  const marked = new Set(report?.ok ? report.report.errors.flatMap((e) => (e.line !== undefined ? [e.line] : [])) : []);
  return html`<p><a href="${scoped('/quarantine', scope)}">← Quarantine</a></p>
<h1>File ${row.id}: ${row.name}</h1>
<dl class="facts">
<dt>Merchant</dt><dd>${row.merchant}</dd><dt>Channel</dt><dd>${row.channel}</dd><dt>Mapping</dt><dd>${row.mapping}</dd>
<dt>Received</dt><dd>${when(row.receivedAt)}</dd><dt>Size</dt><dd>${row.size} bytes</dd><dt>Trace id</dt><dd><code>${row.traceId}</code> (<a href="${fileHref(row.id, scope)}">the file's journey</a>)</dd>
<dt>State</dt><dd>${inQuarantine ? (row.status === 'partial' ? `partly imported (${row.records} record(s)); ${row.invalid} invalid record(s) in quarantine` : 'quarantined: nothing imported') : row.status}</dd>
${row.dismissedAt ? html`<dt>Dismissed</dt><dd>${when(row.dismissedAt)}: ${row.note ?? ''}</dd>` : ''}
${inQuarantine ? html`<dt>Quarantined copy</dt><dd><code>${row.quarantinePath}</code></dd>` : ''}
</dl>
${inQuarantine
    ? html`<div class="split">
<section aria-labelledby="report"><h2 id="report">Error report</h2>${report ? reportTable(report) : ''}</section>
<section aria-labelledby="head"><h2 id="head">First lines</h2>${head ? headBlock(head, marked) : ''}</section>
</div>
<div class="actions">
<form method="post" action="/quarantine/${row.id}/retry"><h2>Retry</h2><p>After fixing the mapping (or replacing the quarantined copy with a fixed file), run the file through intake again.</p><button type="submit">Retry</button></form>
<form method="post" action="/quarantine/${row.id}/dismiss"><h2>Dismiss</h2><label for="note">Note (why it needs no retry)</label>
<textarea id="note" name="note" rows="2" required maxlength="1000"></textarea><p><button type="submit">Dismiss</button></p></form>
</div>`
    : html`<p>This file is no longer in the quarantine${row.retriedAs !== null ? html`: it was retried as <a href="${fileHref(row.retriedAs, scope)}">file ${row.retriedAs}</a>` : row.status === 'retried' ? ' (it was retried; the retry is a file of its own)' : ''}.</p>${row.error ? html`<p>Its error was: ${row.error}</p>` : ''}`}`;
}
