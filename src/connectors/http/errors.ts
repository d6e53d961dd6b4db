import { TransportError, WharfError } from '../../errors.js';

/** What a connector knows about a failed response, for its own plain-words explanation. */
export interface FailedResponse {
  status: number;
  /** `METHOD host/path`, never with the query string. */
  where: string;
  /** Parsed JSON body when it was JSON, else undefined. */
  body: unknown;
  /** The platform's own error text (already scrubbed of secrets), or ''. */
  platformMessage: string;
}

/** A connector's override of the default explanation of a 4xx (return undefined to keep the default). */
export type Explainer = (r: FailedResponse) => { message?: string; hint?: string; code?: 'AUTH_FAILED' | 'NOT_FOUND' | 'TRANSPORT_FAILED' } | undefined;

/**
 * A response that looks fine on the wire but asks to be retried (Shopify's THROTTLED GraphQL error
 * comes with HTTP 200). Thrown from a request's `check`; the request helper retries it like a 429.
 */
export class RetryableResponse extends TransportError {
  constructor(message: string, readonly retryAfterMs?: number, where?: string) {
    super(message, { where });
    this.name = 'RetryableResponse';
  }
}

/** Removes every secret value from a text that may reach a log line or an error message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}

/**
 * The platform's own error text from the usual body shapes: `{message}` (WooCommerce, Lightspeed),
 * `{errorMsg, errors}` (RetailCRM), `{errors: "..."}` / `{errors: [{message}]}` (Shopify),
 * `{title, detail, violations}` (bol problem+json), `{error, error_description}` (OAuth2).
 */
export function platformMessage(body: unknown, text: string): string {
  const parts: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && v.trim() !== '' && !parts.includes(v.trim())) parts.push(v.trim());
  };
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    push(b.message);
    push(b.errorMsg);
    push(b.error_description);
    if (typeof b.error === 'string') push(b.error);
    else if (b.error && typeof b.error === 'object') push((b.error as Record<string, unknown>).message);
    push(b.title);
    push(b.detail);
    if (typeof b.errors === 'string') push(b.errors);
    else if (Array.isArray(b.errors)) for (const e of b.errors.slice(0, 3)) push(typeof e === 'string' ? e : (e as Record<string, unknown>)?.message);
    else if (b.errors && typeof b.errors === 'object') for (const v of Object.values(b.errors).slice(0, 3)) push(Array.isArray(v) ? v.join(', ') : v);
    if (Array.isArray(b.violations)) {
      for (const v of b.violations.slice(0, 3)) {
        const o = v as Record<string, unknown>;
        push(o && typeof o === 'object' ? `${String(o.name ?? '')}: ${String(o.reason ?? '')}` : undefined);
      }
    }
  } else if (text && !/^\s*</.test(text)) {
    push(text.slice(0, 200));
  }
  const joined = parts.join('; ');
  return joined.length > 300 ? `${joined.slice(0, 297)}...` : joined;
}

/** The default plain-words error for a non-retryable HTTP status. */
export function statusError(connector: string, r: FailedResponse, explain?: Explainer): WharfError {
  const said = r.platformMessage ? ` (${connector} said: ${r.platformMessage})` : '';
  const custom = explain?.(r);
  let code: 'AUTH_FAILED' | 'NOT_FOUND' | 'TRANSPORT_FAILED';
  let message: string;
  let hint: string | undefined;
  switch (r.status) {
    case 401:
      code = 'AUTH_FAILED';
      message = `the API key/secret was rejected (HTTP 401)${said}`;
      hint = 'check the credentials in the channel config; run `wharf test-connection CHANNEL`';
      break;
    case 403:
      code = 'AUTH_FAILED';
      message = `permission denied (HTTP 403): the credentials were accepted but may not do this${said}`;
      hint = 'give the API key the permissions listed in docs/connectors.md';
      break;
    case 404:
      code = 'NOT_FOUND';
      message = `nothing at this address (HTTP 404): wrong URL?${said}`;
      hint = 'check the shop URL / base URL in the channel config';
      break;
    default:
      code = 'TRANSPORT_FAILED';
      message = `the request was refused (HTTP ${r.status})${said}`;
  }
  if (custom) {
    code = custom.code ?? code;
    if (custom.message) message = custom.message + (custom.message.includes(r.platformMessage) ? '' : said);
    hint = custom.hint ?? hint;
  }
  return new WharfError(code, `${connector}: ${message}`, { where: r.where, hint }, { retryable: false });
}

/** Turns a fetch failure (DNS, refused, reset, TLS, timeout) into a WharfError. */
export function networkError(connector: string, where: string, host: string, err: unknown, timeoutMs: number): WharfError {
  const e = err as Error & { cause?: Error & { code?: string } };
  if (e?.name === 'TimeoutError') {
    return new TransportError(`${connector}: no answer from ${host} within ${Math.round(timeoutMs / 100) / 10} s`, { where }, err);
  }
  const code = e?.cause?.code ?? (e as { code?: string }).code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TransportError(`${connector}: the host name ${host} could not be resolved (DNS)`, { where, hint: 'check the URL / shop domain in the channel config' }, err);
  }
  if (code === 'ECONNREFUSED') return new TransportError(`${connector}: connection refused by ${host}`, { where }, err);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new TransportError(`${connector}: the connection to ${host} was dropped`, { where }, err);
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
    return new WharfError('TRANSPORT_FAILED', `${connector}: the TLS certificate of ${host} was not accepted (${code})`, {
      where,
      hint: 'the shop must serve a valid HTTPS certificate for this host name',
    }, { retryable: false, cause: err });
  }
  const detail = e?.cause?.message ?? e?.message ?? String(err);
  return new TransportError(`${connector}: request to ${host} failed: ${detail}`, { where }, err);
}
