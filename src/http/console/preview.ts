import type { MappingListed, PreviewResult } from '../api/mappings.js';
import { html, inlineScript, type Html } from './html.js';
import { errorsTable } from './journey.js';

/** What the preview form was sent with (kept in the form when the result is shown). */
export interface PreviewInput {
  mapping?: string;
  content?: string;
  fileName?: string;
}

/**
 * The Mapping preview page: a form (input mapping, the sample pasted or read from a chosen file in the
 * browser, posted as text to `POST /preview`), and below it the canonical records or the errors.
 */
export function previewBody(mappings: MappingListed[], input: PreviewInput, result?: PreviewResult): Html {
  const inputs = mappings.filter((m): m is Extract<MappingListed, { direction: string }> => 'direction' in m && m.direction === 'input');
  const broken = mappings.filter((m): m is Extract<MappingListed, { error: string }> => 'error' in m);
  return html`<h1>Mapping preview</h1>
<p>Run a sample file through an input mapping and see the canonical records it becomes, or its errors — as <code>wharf map</code> does. Nothing is stored or sent.</p>
<form method="post" action="/preview" class="preview" id="preview-form">
<p><label for="mapping">Mapping</label>
<select id="mapping" name="mapping" required>${inputs.map((m) => html`<option value="${m.name}"${m.name === input.mapping ? html` selected` : ''}>${m.name} (${m.kind}, ${m.format})</option>`)}</select></p>
<p><label for="file">Sample file</label><input type="file" id="file" aria-describedby="file-hint"> <small id="file-hint" class="muted">read in the browser and put in the box below</small></p>
<input type="hidden" id="fileName" name="fileName" value="${input.fileName ?? ''}">
<p><label for="content">Sample content</label>
<textarea id="content" name="content" rows="12" spellcheck="false">
${input.content ?? ''}</textarea></p>
<p><button type="submit">Preview</button></p>
</form>
${broken.length > 0 ? html`<p class="muted">Not offered (they do not compile): ${broken.map((m, i) => html`${i > 0 ? ', ' : ''}<code>${m.name}</code>`)}.</p>` : ''}
${result ? resultBlock(result) : ''}
${inlineScript(FILE_SCRIPT)}`;
}

function resultBlock(r: PreviewResult): Html {
  return html`<section aria-labelledby="result"><h2 id="result">Result</h2>
<p role="status" class="${r.valid ? 'state state-ok' : 'state state-failing'}">${r.valid ? 'Valid' : r.unreadable ? 'Unreadable' : 'Invalid'}: ${r.read} record(s) read, ${r.invalid} invalid, ${r.errorsTotal} error(s)${r.errorsTotal > r.errors.length ? html` (the first ${r.errors.length} shown)` : ''}.</p>
${r.notes.length > 0 ? html`<ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
${r.errors.length > 0 ? html`<h3 id="errors">Errors</h3>${errorsTable(r.errors, 'Errors')}` : ''}
<h3 id="records">Canonical records</h3>
${r.records.length > 0
    ? html`${r.recordsShown < r.read - r.invalid ? html`<p class="muted">The first ${r.recordsShown} record(s).</p>` : ''}<pre class="lines" tabindex="0" aria-label="Canonical records">${JSON.stringify(r.records, null, 2)}</pre>`
    : html`<p class="muted">No valid record.</p>`}
</section>`;
}

/** Reads the chosen file as text into the content box (and its name into the hidden field). */
const FILE_SCRIPT = `
(() => {
  const file = document.getElementById('file');
  file.addEventListener('change', () => {
    const f = file.files && file.files[0];
    if (!f) return;
    const reader = new FileReader();
    reader.onload = () => { document.getElementById('content').value = String(reader.result); document.getElementById('fileName').value = f.name; };
    reader.readAsText(f);
  });
})();
`;
