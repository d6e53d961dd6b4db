/**
 * HTML for the console's server-rendered pages: the `html` tag escapes every interpolated value unless
 * it is already `Html` (the result of another `html` tag, or `raw` for fixed markup of our own), so no
 * value from the ledger, a file or a request can become markup.
 */

/** Markup known to be safe: made by `html` (values escaped) or `raw` (our own constants). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What an `html` interpolation may be: escaped when a string or number, joined when a list, nothing when null/undefined/false. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

/**
 * Escapes `& < > " '` (enough for text and quoted attribute values), and replaces control characters
 * (NUL and the other C0/C1 controls but tab, line feed and carriage return; not allowed in an HTML
 * page) with U+FFFD, so a value echoed from the address (`/files/%00`) or a file never puts one in the page.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!).replace(CONTROL, '\uFFFD');
}
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.text;
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v as string | number | boolean));
}

/** Tagged template: `html\`<td>${value}</td>\`` with `value` escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Fixed markup of our own (never a value from outside). */
export function raw(text: string): Html {
  return new Html(text);
}

/**
 * A <script> element with our own fixed code (never a value from outside). Built without a tagged
 * template: the bundler rewrites a `</script>` inside one, which would need a runtime helper.
 */
export function inlineScript(code: string): Html {
  return new Html('<script>' + code + '</' + 'script>');
}
