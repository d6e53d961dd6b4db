import { STATUS_CODES } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { html, type Html } from './html.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A console route's names for its inputs (`{ id: 'the file id' }`), used by its error page when a
     * value in the address or the form is not right. Inputs without a name are called by their key.
     */
    fields?: Record<string, string>;
  }
}

/** The console's inputs in words (a route's `config.fields` may name its own differently). */
const FIELD_NAMES: Record<string, string> = {
  id: 'the file id', ref: 'the file id or trace id', recordId: 'the order id', merchant: 'the merchant',
  note: 'the note (why the file needs no retry)', channel: 'the channel', job: 'the job', export: 'the export',
  mapping: 'the mapping', content: 'the sample', fileName: 'the file name', before: 'the page (before)',
  done: '"done"', file: '"file"', as: '"as"', from: '"from"', joined: '"joined"',
};

/** The most of an offending value an error page quotes. */
const VALUE_MAX = 60;

/** One problem fastify's schema check found (the parts of ajv's error object we read). */
interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** An error as fastify hands it to an error handler: its status, and the schema check's findings. */
export type RouteError = Error & { statusCode?: number; code?: string; validation?: ValidationIssue[]; validationContext?: string };

/** What a console error page says: its status, title, what was wrong, how to fix it, and where to go back to. */
export interface ConsoleProblem {
  status: number;
  title: string;
  what: string;
  fix: string;
  back: { href: string; label: string };
}

/**
 * The page a console (HTML) route answers with when the request cannot be served: a value in the
 * address or form that the route's schema refuses (400, naming the input, quoting the value cut short),
 * a body too large (413), any other 4xx with fastify's message (which quotes none of the request), and
 * for a 5xx only that it failed (the log has the details). Never a stack or a config value.
 */
export function consoleProblem(err: RouteError, request: FastifyRequest): ConsoleProblem {
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
  const back = backLink(request);
  const title = STATUS_CODES[status] ?? 'Error';
  if (status >= 500) {
    return { status, title, what: 'The request failed inside Wharf.', fix: 'Try again; if it fails again, the daemon\'s log has the details (look for "HTTP request failed").', back };
  }
  if (err.validation && err.validation.length > 0) {
    const fields = { ...FIELD_NAMES, ...request.routeOptions.config.fields };
    const where = err.validationContext === 'body' ? 'form' : 'address';
    const values = (err.validationContext === 'body' ? request.body : err.validationContext === 'params' ? request.params : request.query) as Record<string, unknown> | undefined;
    const what = err.validation.map((v) => describeIssue(v, fields, values)).join('; ');
    return {
      status, title, what: `The ${where} was not right: ${what}.`,
      fix: where === 'form' ? 'Go back, correct the form and send it again.' : 'Check the address (a link from the console\'s pages is always right), or go back and follow a link.',
      back,
    };
  }
  if (status === 413) return { status, title, what: 'What was sent is larger than the server takes (http.bodyLimit).', fix: 'Send less (a smaller sample in the mapping preview), or raise http.bodyLimit in the config.', back };
  if (status === 403) return { status, title, what: err.message, fix: 'Use the form on the console\'s own page (reload it first); forms from other sites are refused.', back };
  return { status, title, what: err.message, fix: 'Go back and try again from the console\'s pages.', back };
}

/** "the file id (`abc`) must be a whole number" from one schema finding. */
function describeIssue(v: ValidationIssue, fields: Record<string, string>, values: Record<string, unknown> | undefined): string {
  const key = typeof v.params?.missingProperty === 'string' ? v.params.missingProperty
    : typeof v.params?.additionalProperty === 'string' ? v.params.additionalProperty
      : (v.instancePath ?? '').split('/').filter(Boolean).join('.');
  const name = fields[key] ?? (key ? `"${key}"` : 'the request');
  if (v.keyword === 'required') return `${name} is missing`;
  if (v.keyword === 'additionalProperties') return `${name} is not something this page takes`;
  const value = values?.[key];
  const quoted = typeof value === 'string' || typeof value === 'number' ? ` ("${cut(String(value))}")` : '';
  if (v.keyword === 'minLength' && value === '') return `${name} is empty`;
  return `${name}${quoted} ${plain(v)}`;
}

/** ajv's messages in words for people. */
function plain(v: ValidationIssue): string {
  switch (v.keyword) {
    case 'type': return v.params?.type === 'integer' ? 'must be a whole number' : v.params?.type === 'number' ? 'must be a number' : `must be a ${String(v.params?.type)}`;
    case 'minimum': return `must be at least ${String(v.params?.limit)}`;
    case 'minLength': return `must be at least ${String(v.params?.limit)} character(s) long`;
    case 'maxLength': return `must be at most ${String(v.params?.limit)} characters long`;
    case 'enum': case 'const': return `is not one of the values this page takes${Array.isArray(v.params?.allowedValues) ? ` (${v.params.allowedValues.join(', ')})` : ''}`;
    case 'pattern': return 'does not have the right form';
    default: return v.message ?? 'is not right';
  }
}

function cut(s: string): string {
  return s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX)}…` : s;
}

/** The page to go back to: a form's own page for a POST (`/quarantine/5` for `/quarantine/5/dismiss`), else the section's list. */
export function backLink(request: FastifyRequest): { href: string; label: string } {
  const parts = request.url.split('?')[0]!.split('/').filter(Boolean);
  const section = parts[0] ?? '';
  const label = SECTION_LABEL[section];
  if (!label) return { href: '/', label: 'Back to the overview' };
  if (request.method === 'POST' && parts.length === 3 && /^\d+$/.test(parts[1]!)) return { href: `/${section}/${parts[1]}`, label: 'Back to the file' };
  return { href: section === 'orders' ? '/files' : `/${section}`, label: `Back to ${label}` };
}

const SECTION_LABEL: Record<string, string> = { quarantine: 'the quarantine', files: 'Files', orders: 'Files', sync: 'Sync', preview: 'the mapping preview' };

/** The body of an error page for `p`. */
export function problemBody(p: ConsoleProblem): Html {
  return html`<h1>${p.title}</h1>
<p class="err" role="alert">${p.what}</p>
<p>${p.fix}</p>
<p><a href="${p.back.href}">${p.back.label}</a></p>`;
}
