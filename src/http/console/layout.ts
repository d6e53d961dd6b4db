import { html, type Html, type HtmlValue } from './html.js';

/** The console's pages in the navigation. */
export const NAV: { path: string; label: string }[] = [
  { path: '/', label: 'Overview' },
  { path: '/quarantine', label: 'Quarantine' },
  { path: '/files', label: 'Files' },
  { path: '/sync', label: 'Sync' },
  { path: '/preview', label: 'Mapping preview' },
];

/** Where the stylesheet is served (one route, cached by the browser; no inline styles needed). */
export const STYLESHEET_PATH = '/console.css';

/** A message shown at the top of a page after an action (from the `done`/`failed` query of a redirect). */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/**
 * A whole console page: head, skip link, navigation (the current page marked with aria-current), the
 * flash message, `body` in <main>, and the log-out form. `nav: false` leaves the navigation out (login).
 */
export function layout(opts: { title: string; current?: string; body: HtmlValue; flash?: Flash; nav?: boolean }): Html {
  const nav = opts.nav === false ? '' : html`<nav aria-label="Console"><ul>${NAV.map((n) => html`<li><a href="${n.path}"${n.path === opts.current ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul>
<form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form></nav>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} — Wharf</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">Wharf</span>${nav}</header>
<main id="main">
${opts.flash ? html`<p class="flash ${opts.flash.kind}" role="${opts.flash.kind === 'error' ? 'alert' : 'status'}">${opts.flash.text}</p>` : ''}
${opts.body}
</main></body></html>`;
}

/**
 * `href` with the merchant filter (`?merchant=<id>`) when one is chosen: a page reached from a
 * merchant's pages stays that merchant's (its links carry the filter on, and a file, order or quarantine
 * page under a filter answers 404 for another merchant's file or order).
 */
export function scoped(href: string, merchant: string | undefined): string {
  return merchant ? `${href}${href.includes('?') ? '&' : '?'}merchant=${encodeURIComponent(merchant)}` : href;
}

/** The console's address of a file's journey, under the merchant filter when chosen. */
export function fileHref(id: number, merchant?: string): string {
  return scoped(`/files/${id}`, merchant);
}

/** The console's address of a quarantined file's page, under the merchant filter when chosen. */
export function quarantineHref(id: number, merchant?: string): string {
  return scoped(`/quarantine/${id}`, merchant);
}

/** `2026-11-30T04:01:02.345Z` → `2026-11-30 04:01:02 UTC` (in a <time> element), or `never`. */
export function when(iso: string | null | undefined, none = 'never'): Html {
  if (!iso) return html`<span class="muted">${none}</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/** The console's stylesheet: readable on a laptop screen, tables that scroll sideways when too wide. */
export const STYLESHEET = `
:root{--fg:#1d2733;--muted:#5b6673;--line:#d5dbe1;--bg:#f7f9fb;--ok:#1b7a3a;--bad:#a4161a;--warn:#8a5a00;--link:#0b57a4}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:#fff;margin:0}
a{color:var(--link)}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem}
header{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.5rem;border-bottom:1px solid var(--line);background:var(--bg);flex-wrap:wrap}
.brand{font-weight:700;font-size:1.1rem}
nav{display:flex;align-items:center;gap:1rem;flex:1;flex-wrap:wrap}
nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0;flex-wrap:wrap}
nav a{text-decoration:none;padding:.2rem .1rem}
nav a[aria-current=page]{font-weight:600;border-bottom:2px solid var(--link)}
nav small{color:var(--muted)}
.logout{margin-left:auto}
main{padding:1rem 1.5rem 3rem;max-width:90rem}
form.login{max-width:24rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .6rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600}tbody th{background:none}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.state{font-weight:600}.state-ok{color:var(--ok)}.state-failing{color:var(--bad)}.state-silent,.state-waiting{color:var(--warn)}
.muted{color:var(--muted)}
.err{color:var(--bad)}
.flash{padding:.5rem .8rem;border-radius:4px}.flash.ok{background:#e6f4ea}.flash.error{background:#fde8e8}
.split{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem}
@media (max-width:60rem){.split{grid-template-columns:1fr}}
pre.lines{background:var(--bg);border:1px solid var(--line);padding:.5rem;overflow-x:auto;font-size:13px;line-height:1.4}
pre.lines .ln{display:inline-block;min-width:2.5rem;color:var(--muted);user-select:none}
pre.lines mark{background:#fff1c2}
form.inline{display:inline}
.actions{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start;margin:1rem 0}
.actions form{border:1px solid var(--line);padding:.8rem 1rem;border-radius:4px;max-width:32rem}
label{display:block;font-weight:600;margin-bottom:.2rem}
textarea,input[type=text],input[type=password]{font:inherit;width:100%;padding:.4rem}
button{font:inherit;padding:.35rem 1rem;cursor:pointer}
progress{width:100%;max-width:32rem;height:1.2rem}
form.sync{margin:0 .3rem .3rem 0}form.sync button{padding:.15rem .6rem;font-size:.9rem}
ol.journey{padding-left:1.2rem}ol.journey>li{margin-bottom:.5rem}
select{font:inherit;padding:.3rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
`;

/**
 * The merchant filter's choices: "all merchants" and the configured ones, `merchant` selected. A
 * merchant asked for that is not configured is shown selected as "<name> (unknown merchant)" — the
 * lists are filtered to it (and so empty), never shown as if "all merchants" were chosen.
 */
export function merchantSelect(merchants: readonly string[], merchant: string | undefined): Html {
  const unknown = merchant !== undefined && !merchants.includes(merchant);
  return html`<select id="merchant" name="merchant"><option value="">all merchants</option>${merchants.map((m) => html`<option value="${m}"${m === merchant ? html` selected` : ''}>${m}</option>`)}${unknown ? html`<option value="${merchant}" selected>${merchant} (unknown merchant)</option>` : ''}</select>`;
}
