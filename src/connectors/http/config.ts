import { WharfError } from '../../errors.js';
import { formatAjvErrors, validatorFor } from '../../schemas.js';
import { schemaDefaults } from '../../config/schema-facts.js';
import type { CommonChannelConfig, ConnectorOptions } from '../types.js';
import type { HttpTuning } from './client.js';
import { RateLimiter } from './limiter.js';

/** Defaults every webshop channel shares (schemas/channel-api-common.schema.json); a platform's own come from its schema. */
export const commonDefaults = schemaDefaults<CommonChannelConfig>('channel-api-common.schema.json');

/**
 * Validates a raw channel object against `schemas/<file>`; throws CONFIG_INVALID listing every
 * problem. ajv messages name fields, never values, so secrets do not leak into the message.
 */
export function parseChannelConfig<T>(schemaFile: string, raw: unknown, label: string, where = `${label} channel`): T {
  const validate = validatorFor(schemaFile);
  if (!validate(raw)) {
    const problems = formatAjvErrors(validate.errors).map((e) => (e.path ? `${e.path} ${e.message}` : e.message));
    throw new WharfError('CONFIG_INVALID', `invalid ${label} channel config: ${problems.join('; ')}`, { where });
  }
  return raw as T;
}

/** The HTTP tuning of a channel: its requestTimeout, unless the caller's tuning says otherwise. */
export function tuningOf(config: CommonChannelConfig, options: Pick<ConnectorOptions, 'http'>): HttpTuning {
  return { timeoutMs: (config.requestTimeout ?? commonDefaults.requestTimeout) * 1000, ...options.http };
}

export function limiterOf(config: CommonChannelConfig, platform: { requestsPerSecond: number; burst: number }, options: Pick<ConnectorOptions, 'http'>): RateLimiter {
  return new RateLimiter(
    {
      requestsPerSecond: config.rateLimit?.requestsPerSecond ?? platform.requestsPerSecond,
      burst: config.rateLimit?.burst ?? platform.burst,
    },
    { now: options.http?.now, sleep: options.http?.sleep },
  );
}

export function cursorSettingsOf(config: CommonChannelConfig): { overlapSeconds: number; startDate?: string } {
  return { overlapSeconds: config.overlap ?? commonDefaults.overlap, startDate: config.startDate };
}

/** Credential values of a config, for scrubbing (every field the schema marks `x-secret`). */
export function secretsOf(config: object, secretKeys: readonly string[]): string[] {
  return secretKeys.map((k) => (config as Record<string, unknown>)[k]).filter((v): v is string => typeof v === 'string' && v !== '');
}
