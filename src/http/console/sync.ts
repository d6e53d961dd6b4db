import type { JobState } from '../../daemon/jobs.js';
import type { Overview } from '../../daemon/status.js';
import { isPlatform } from '../../connectors/platforms.js';
import { html, inlineScript, type Html } from './html.js';
import { when } from './layout.js';

/** What a "Sync now" button asks the daemon for (the body of `POST /sync`, as of `POST /api/jobs`). */
export type SyncTarget = { channel: string; job: 'orders' | 'products' | 'stock' | 'shipments' } | { export: string };

/** What each job does, in words for the button's row. */
const JOB_TEXT: Record<string, string> = {
  orders: 'orders: the next look at the channel (every file ready) or the webshop pull',
  products: 'products: the webshop pull of products',
  stock: 'stock: the push of changed stock levels to the shop',
  shipments: 'shipments: the push of shipments to the shop',
  export: 'the merchant export, now',
};

/**
 * Every job that can be started now, from the overview's channels, pushes and exports: a file channel's
 * orders, a webshop channel's orders and products, its stock and shipment pushes when on, each export.
 */
export function syncTargets(o: Overview): { key: string; job: string; target: SyncTarget }[] {
  const out: { key: string; job: string; target: SyncTarget }[] = [];
  for (const c of o.channels) {
    out.push({ key: c.key, job: 'orders', target: { channel: c.key, job: 'orders' } });
    if (isPlatform(c.type)) out.push({ key: c.key, job: 'products', target: { channel: c.key, job: 'products' } });
    const p = o.pushes.find((x) => x.channel === c.key);
    if (p?.stock) out.push({ key: c.key, job: 'stock', target: { channel: c.key, job: 'stock' } });
    if (p?.shipments) out.push({ key: c.key, job: 'shipments', target: { channel: c.key, job: 'shipments' } });
  }
  for (const x of o.exports) out.push({ key: x.export, job: 'export', target: { export: x.export } });
  return out;
}

/** A "Sync now" form button for `target` (POST /sync; the page it lands on shows the progress). */
export function syncButton(target: SyncTarget, label = 'Sync now'): Html {
  const what = 'export' in target ? `export ${target.export}` : `${target.job} of ${target.channel}`;
  return html`<form method="post" action="/sync" class="inline sync">${'export' in target
    ? html`<input type="hidden" name="export" value="${target.export}">`
    : html`<input type="hidden" name="channel" value="${target.channel}"><input type="hidden" name="job" value="${target.job}">`}<button type="submit" aria-label="${label}: ${what}">${label}</button></form>`;
}

function jobLink(j: JobState): Html {
  return html`<a href="/sync/jobs/${j.id}">${j.id}</a>`;
}

const STATE_CLASS: Record<JobState['state'], string> = { running: 'state-waiting', done: 'state-ok', failed: 'state-failing' };

/** The Sync page's body: a button per job that can be started, and the recent jobs. */
export function syncBody(o: Overview, jobs: JobState[]): Html {
  const targets = syncTargets(o);
  return html`<h1>Sync now</h1>
<p>Start a channel's job or an export now instead of waiting for its schedule. One job of a kind runs per channel at a time: pressing again while it runs shows the running one.</p>
<h2 id="targets">Jobs</h2>
${targets.length > 0
    ? html`<div class="table-wrap"><table aria-labelledby="targets">
<thead><tr><th scope="col">Channel or export</th><th scope="col">Job</th><th scope="col">Start</th></tr></thead>
<tbody>${targets.map((t) => html`<tr><th scope="row">${t.key}</th><td>${JOB_TEXT[t.job] ?? t.job}</td><td>${syncButton(t.target)}</td></tr>`)}</tbody></table></div>`
    : html`<p class="muted">Nothing configured to sync.</p>`}
<h2 id="recent">Recent jobs</h2>
${jobs.length > 0
    ? html`<div class="table-wrap"><table aria-labelledby="recent">
<thead><tr><th scope="col">Job</th><th scope="col">Target</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Progress</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr><td>${jobLink(j)}</td><th scope="row">${j.target}</th><td>${j.job}</td><td><span class="state ${STATE_CLASS[j.state]}">${j.state}</span>${j.error ? html`<br><span class="err">${cut(j.error)}</span>` : ''}</td><td>${when(j.startedAt)}</td><td>${j.progress.text}</td></tr>`)}</tbody></table></div>`
    : html`<p class="muted">No job started since the daemon started (jobs are kept in memory).</p>`}`;
}

function cut(s: string, max = 300): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** A finished job's result as a list of facts (counts and names; the job's result holds no secrets). */
function resultFacts(r: Record<string, unknown> | null): Html {
  if (!r) return html``;
  return html`<dl class="facts">${Object.entries(r).map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}</dd>`)}</dl>`;
}

/**
 * A job's page: its target and state, a <progress> and the progress text, and its result or error.
 * While it runs, the page's script follows `/api/jobs/<id>/events` (server-sent events) and updates
 * them in place; the end reloads the page, which then shows the result rendered by the server.
 */
export function jobBody(j: JobState): Html {
  const max = j.progress.total ?? (j.state === 'running' ? null : Math.max(j.progress.done, 1));
  const value = j.state === 'running' ? (j.progress.total !== null ? j.progress.done : null) : max;
  return html`<p><a href="/sync">← Sync</a></p>
<h1>Job ${j.id}: ${j.job} of ${j.target}</h1>
<section aria-labelledby="progress-h" class="job" data-job="${j.id}" data-state="${j.state}">
<h2 id="progress-h">Progress</h2>
<p><progress id="job-progress" aria-label="Job progress"${max !== null ? html` max="${max}"` : ''}${value !== null ? html` value="${value}"` : ''}></progress></p>
<p id="job-state" role="status" aria-live="polite"><span class="state ${STATE_CLASS[j.state]}">${j.state}</span>: <span id="job-text">${j.progress.text}</span>${j.state === 'running' ? html` <small class="muted" id="job-count">(${j.progress.done}${j.progress.total !== null ? ` of ${j.progress.total}` : ''} ${j.progress.unit})</small>` : ''}</p>
</section>
<dl class="facts"><dt>Started</dt><dd>${when(j.startedAt)}</dd><dt>Finished</dt><dd>${when(j.finishedAt, j.state === 'running' ? 'still running' : 'never')}</dd></dl>
${j.state === 'done' ? html`<h2 id="result">Result</h2>${resultFacts(j.result)}` : ''}
${j.state === 'failed' ? html`<h2 id="error">Error</h2><p class="err" role="alert">${j.error ?? 'unknown error'}</p>` : ''}
${j.state === 'running' ? inlineScript(FOLLOW_SCRIPT) : ''}`;
}

/**
 * Follows a running job's events: `progress` updates the bar and text, `end` reloads the page (which
 * renders the result or error). The job id comes from the page's data attribute, never from script text.
 */
const FOLLOW_SCRIPT = `
(() => {
  const box = document.querySelector('[data-job]');
  const bar = document.getElementById('job-progress');
  const text = document.getElementById('job-text');
  const count = document.getElementById('job-count');
  const src = new EventSource('/api/jobs/' + encodeURIComponent(box.dataset.job) + '/events');
  const show = (j) => {
    const p = j.progress;
    if (p.total !== null) { bar.max = Math.max(p.total, 1); bar.value = p.done; } else { bar.removeAttribute('value'); }
    text.textContent = p.text;
    count.textContent = '(' + p.done + (p.total !== null ? ' of ' + p.total : '') + ' ' + p.unit + ')';
  };
  src.addEventListener('progress', (e) => show(JSON.parse(e.data)));
  src.addEventListener('end', (e) => { show(JSON.parse(e.data)); src.close(); location.reload(); });
  src.onerror = () => { if (src.readyState === EventSource.CLOSED) location.reload(); };
})();
`;
