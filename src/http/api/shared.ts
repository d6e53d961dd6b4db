import type { DeliveryTrail } from '../../ledger/store.js';

/** A 404 body in the server's error shape. */
export function notFound(message: string): { error: 'not found'; message: string } {
  return { error: 'not found', message };
}

/** Params schema of `/…/:ref` routes, with `:merchant` when merchant-scoped. */
export function refParams(scoped: boolean, name = 'ref'): Record<string, unknown> {
  const props: Record<string, unknown> = { [name]: { type: 'string', minLength: 1, maxLength: 500 } };
  if (scoped) props.merchant = { type: 'string', minLength: 1, maxLength: 100 };
  return { type: 'object', required: Object.keys(props), properties: props };
}

/**
 * A delivery or push as the API shows it: `state` done / pending / failed, and what kind of thing it
 * is by its destination — `delivery` (the warehouse folders), `push` (to a webshop), `export` (a merchant export file).
 */
export function deliveryView(d: DeliveryTrail): {
  id: number; type: 'delivery' | 'push' | 'export'; destination: string; recordId: string; action: string; state: 'pending' | 'done' | 'failed';
  attempts: number; lastError: string | null; fileName: string | null; queuedAt: string; doneAt: string | null; nextAttemptAt: string | null;
} {
  return {
    id: d.id,
    type: d.destination.startsWith('push:') ? 'push' : d.destination.startsWith('export:') ? 'export' : 'delivery',
    destination: d.destination, recordId: d.recordId, action: d.action,
    state: d.status === 'delivered' ? 'done' : d.status,
    attempts: d.attempts, lastError: d.lastError, fileName: d.fileName, queuedAt: d.createdAt, doneAt: d.deliveredAt, nextAttemptAt: d.nextAttemptAt,
  };
}
