import type { ChannelOverview, ExportStatus, Overview, PushStatus } from '../../daemon/status.js';
import { html, type Html } from './html.js';
import { when } from './layout.js';
import { syncButton } from './sync.js';
import { isPlatform } from '../../connectors/platforms.js';

/** Cuts a message shown in a table cell (the full text is in `wharf status` and the log). */
function cut(s: string | null | undefined, max = 300): string {
  if (!s) return '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

const STATE_TEXT: Record<ChannelOverview['state'], string> = { ok: 'ok', failing: 'failing', silent: 'silent', waiting: 'not run yet' };

/** A last look made before this process started: labelled as the previous run's, never as the current state. */
function previousRun(p: ChannelOverview['previousRun']): Html | string {
  if (!p) return '';
  return p.failing
    ? html`<br><small>previous run: failing: <span class="err">${cut(p.error)}</span> since ${when(p.at)}</small>`
    : html`<br><small>previous run: ok, last look ${when(p.at)}</small>`;
}

function channelRow(c: ChannelOverview): Html {
  const every = c.cadence.kind === 'poll' ? `every ${c.cadence.intervalMs / 1000} s` : c.cadence.schedule;
  return html`<tr>
<th scope="row">${c.key}</th><td>${c.type}</td>
<td><span class="state state-${c.state}">${STATE_TEXT[c.state]}</span>${c.state === 'failing' ? html`<br><span class="err">${cut(c.lastError)}</span><br><small>since ${when(c.lastErrorAt)}</small>` : ''}${c.state === 'silent' && !c.previousRun ? html`<br><small>last look ${when(c.lastPollAt)}</small>` : ''}${previousRun(c.previousRun)}</td>
<td>${when(c.lastPollAt)}${c.lastOkAt && c.lastOkAt !== c.lastPollAt ? html`<br><small>last ok ${when(c.lastOkAt)}</small>` : ''}</td>
<td>${when(c.nextRunAt, 'after the first look')}<br><small class="muted">${every}</small></td>
<td class="num">${c.filesToday}</td><td class="num">${c.ordersToday}</td>
<td class="num">${c.quarantinedNow > 0 ? html`<a href="/quarantine?merchant=${encodeURIComponent(c.merchant)}">${c.quarantinedNow}</a>` : '0'}</td>
<td class="num">${c.pushes ? `${c.pushes.pending} / ${c.pushes.failed}` : html`<span class="muted">—</span>`}</td>
<td>${syncButton({ channel: c.key, job: 'orders' }, isPlatform(c.type) ? 'Pull orders' : 'Poll now')}${isPlatform(c.type) ? syncButton({ channel: c.key, job: 'products' }, 'Pull products') : ''}</td>
</tr>`;
}

function exportRow(x: ExportStatus): Html {
  const r = x.lastRun;
  const last = !r
    ? html`<span class="muted">never</span>`
    : r.status === 'failed'
      ? html`<span class="state state-failing">failed</span> ${when(r.scheduledAt)}<br><span class="err">${cut(r.error)}</span>`
      : r.status === 'claimed'
        ? html`in progress or interrupted, ${when(r.scheduledAt)}`
        : html`done ${when(r.finishedAt ?? r.scheduledAt)}<br><small>${r.items > 0 ? `${r.fileName}, ${r.items} item(s)` : 'nothing to export'}</small>`;
  return html`<tr><th scope="row">${x.export}</th><td>${x.schedule}<br><small class="muted">${x.timezone}</small></td><td>${last}</td><td>${when(x.nextRunAt)}</td>
<td class="num">${x.pendingShipments ?? html`<span class="muted">—</span>`}</td><td>${syncButton({ export: x.export }, 'Export now')}</td></tr>`;
}

function pushRows(p: PushStatus): Html[] {
  const rows: Html[] = [];
  if (p.stock) {
    const r = p.stock.lastRun;
    const last = !r ? html`<span class="muted">never</span>` : r.ok ? html`${when(r.at)}<br><small>${r.pushed} of ${r.changed} changed SKU(s) pushed</small>` : html`<span class="state state-failing">failed</span> ${when(r.at)}<br><span class="err">${cut(r.error)}</span>`;
    rows.push(html`<tr><th scope="row">${p.channel}</th><td>stock</td><td>${last}</td><td>${when(p.stock.nextRunAt)}</td><td class="num">—</td><td class="num">${p.stock.unknownSkus} unknown, ${p.stock.refusedSkus} refused SKU(s)</td><td>${syncButton({ channel: p.channel, job: 'stock' }, 'Push now')}</td></tr>`);
  }
  if (p.shipments) {
    const s = p.shipments;
    rows.push(html`<tr><th scope="row">${p.channel}</th><td>shipments</td><td class="muted">—</td><td>${when(s.nextRunAt)}</td><td class="num">${s.pending}</td><td class="num">${s.failed} failed, ${s.retrying} retrying</td><td>${syncButton({ channel: p.channel, job: 'shipments' }, 'Push now')}</td></tr>`);
  }
  return rows;
}

/** The overview page's body: channels, merchants' deliveries, exports and pushes (see gatherOverview). */
export function overviewBody(o: Overview): Html {
  const failing = o.channels.filter((c) => c.state === 'failing' || c.state === 'silent').length;
  return html`<h1>Overview</h1>
<p>${o.channels.length} channel(s), ${failing > 0 ? html`<strong class="err">${failing} failing or silent</strong>` : 'none failing'};
<a href="/quarantine">${o.quarantined} file(s) in quarantine</a>; deliveries ${o.outbox.pending} pending, ${o.outbox.failed} failed.
<small class="muted">As of ${when(o.at)}; "today" from ${when(o.todayFrom)} (${o.timezone}).</small></p>

<h2 id="channels">Channels</h2>
<div class="table-wrap"><table aria-labelledby="channels">
<thead><tr><th scope="col">Channel</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Last run</th><th scope="col">Next run</th>
<th scope="col" class="num">Files today</th><th scope="col" class="num">Orders today</th><th scope="col" class="num">In quarantine</th><th scope="col" class="num">Pushes pending / failed</th><th scope="col">Sync now</th></tr></thead>
<tbody>${o.channels.length > 0 ? o.channels.map(channelRow) : html`<tr><td colspan="10" class="muted">No channels configured.</td></tr>`}</tbody>
</table></div>

<h2 id="deliveries">Deliveries to the warehouse</h2>
<div class="table-wrap"><table aria-labelledby="deliveries">
<thead><tr><th scope="col">Merchant</th><th scope="col">Name</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Failed</th></tr></thead>
<tbody>${o.merchants.map((m) => html`<tr><th scope="row">${m.merchant}</th><td>${m.name ?? ''}</td><td class="num">${m.deliveries.pending}</td><td class="num">${m.deliveries.failed > 0 ? html`<strong class="err">${m.deliveries.failed}</strong>` : '0'}</td></tr>`)}</tbody>
</table></div>
${o.outbox.failed > 0 ? html`<p>Failed deliveries go out again after <code>wharf retry d&lt;id&gt;</code> (ids in <code>wharf status</code>).</p>` : ''}

<h2 id="exports">Exports</h2>
${o.exports.length > 0
    ? html`<div class="table-wrap"><table aria-labelledby="exports">
<thead><tr><th scope="col">Export</th><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col" class="num">Shipments pending</th><th scope="col">Sync now</th></tr></thead>
<tbody>${o.exports.map(exportRow)}</tbody></table></div>`
    : html`<p class="muted">No exports configured.</p>`}

${o.pushes.length > 0
    ? html`<h2 id="pushes">Webshop pushes</h2>
<div class="table-wrap"><table aria-labelledby="pushes">
<thead><tr><th scope="col">Channel</th><th scope="col">Push</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Problems</th><th scope="col">Sync now</th></tr></thead>
<tbody>${o.pushes.flatMap(pushRows)}</tbody></table></div>`
    : ''}`;
}
