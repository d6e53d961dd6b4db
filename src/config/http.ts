import path from 'node:path';
import { WharfError } from '../errors.js';
import type { WharfConfig } from './generated/config.js';
import { schemaDefaults } from './schema-facts.js';

/** `http:` of the config with its defaults applied (schemas/config.schema.json `http`). */
export interface HttpSettings {
  /** Host name or address to listen on (brackets of an IPv6 literal removed). */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** The access token when the config gives one (`${ENV}`/`file:` already resolved). */
  token?: string;
  /** Where the generated token is kept when the config gives none: `<dataDir>/http-token`. */
  tokenFile: string;
  /** Absolute paths of the PEM files, when HTTPS is configured. */
  tls?: { cert: string; key: string };
  /** Largest request body accepted, bytes. */
  bodyLimit: number;
  /** When /readyz says "not ready" (src/observe/readiness.ts). */
  readiness: ReadinessSettings;
}

/** `http.readiness` with its defaults. */
export interface ReadinessSettings {
  /** A channel job is silent after this many of its intervals without success. */
  silentAfter: number;
  /** An export run must be done this long after its scheduled time, ms. */
  exportGraceMs: number;
}

const defaults = schemaDefaults<WharfConfig>('config.schema.json').http;

/** `http.readiness` of `raw` with the schema's defaults (also without an `http:` section: the console's "silent" uses it). */
export function readinessOf(raw: WharfConfig): ReadinessSettings {
  const r = raw.http?.readiness;
  return {
    silentAfter: r?.silentAfter ?? defaults.readiness.silentAfter,
    exportGraceMs: (r?.exportGrace ?? defaults.readiness.exportGrace) * 1000,
  };
}

/**
 * The HTTP settings of `raw`, or undefined when the config has no `http:` section (no server).
 * `abs` resolves a path relative to the config file. Throws CONFIG_INVALID for a port out of range.
 */
export function httpSettingsOf(raw: WharfConfig, abs: (p: string) => string, dataDir: string, file: string): HttpSettings | undefined {
  const h = raw.http;
  if (!h) return undefined;
  const listen = h.listen ?? defaults.listen;
  const cut = listen.lastIndexOf(':');
  const host = listen.slice(0, cut).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(cut + 1));
  if (!Number.isInteger(port) || port > 65535) {
    throw new WharfError('CONFIG_INVALID', `http.listen has no usable port: ${JSON.stringify(listen)}`, { where: file, field: 'http.listen', hint: 'write host:port, e.g. 127.0.0.1:8780' });
  }
  return {
    host,
    port,
    ...(h.token ? { token: h.token } : {}),
    tokenFile: path.join(dataDir, 'http-token'),
    ...(h.tls ? { tls: { cert: abs(h.tls.certFile), key: abs(h.tls.keyFile) } } : {}),
    bodyLimit: h.bodyLimit ?? defaults.bodyLimit,
    readiness: readinessOf(raw),
  };
}
