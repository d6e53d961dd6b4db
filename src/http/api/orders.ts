import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPlatform } from '../../connectors/platforms.js';
import type { HttpDeps, HttpRoutes } from '../server.js';
import { deliveryView, notFound, refParams } from './shared.js';

/**
 * `GET /api/orders/:recordId` and `GET /api/merchants/:merchant/orders/:recordId`: one order (record
 * id `<merchant>:<channel>:<externalId>`, URL-encoded): where it came from (merchant, channel, file
 * or webshop pull, trace id), its canonical body, its shipments, and every delivery and push made for
 * it or them. The merchant-scoped path answers 404 for an order of another merchant, as for an
 * unknown one (a merchant's page never learns what another merchant has).
 */
export const orderRoutes: HttpRoutes = async (app, deps) => {
  type Route = { Params: { recordId: string; merchant?: string } };
  const handler = (scoped: boolean) => async (request: FastifyRequest<Route>, reply: FastifyReply) => {
    const { recordId, merchant } = request.params;
    const view = await orderView(deps, recordId, scoped ? merchant : undefined);
    return view ?? reply.code(404).send(notFound(`no order ${recordId}${scoped ? ` of merchant ${merchant}` : ''} in the ledger (order ids are <merchant>:<channel>:<order number>)`));
  };
  app.get<Route>('/api/orders/:recordId', { schema: { params: refParams(false, 'recordId') } }, handler(false));
  app.get<Route>('/api/merchants/:merchant/orders/:recordId', { schema: { params: refParams(true, 'recordId') } }, handler(true));
};

/** An order as `GET /api/orders/:recordId` answers it (the console's order page renders it). */
export type OrderView = NonNullable<Awaited<ReturnType<typeof orderView>>>;

/**
 * The order `recordId` with its origin, shipments, deliveries and pushes; undefined when there is no
 * such order, or when `merchant` is given and the order is another merchant's.
 */
export async function orderView(deps: HttpDeps, recordId: string, merchant?: string) {
  if (merchant !== undefined && !recordId.startsWith(`${merchant}:`)) return undefined;
  const trail = await deps.store.recordTrail(recordId);
  if (!trail || trail.record.kind !== 'order' || (merchant !== undefined && trail.record.merchant !== merchant)) return undefined;
  const { record } = trail;
  const own = (m: string) => m === record.merchant;
  const files = await deps.store.findFiles({ id: record.fileId });
  const file = files[0] && own(files[0].merchant) ? files[0] : undefined;
  const entry = deps.config.channels.find((e) => e.merchant === record.merchant && e.channel === record.channel);
  const source = (record.body?.source ?? null) as { type?: string; name?: string; receivedAt?: string } | null;
  return {
    order: {
      id: record.id, merchant: record.merchant, channel: record.channel, externalId: record.externalId ?? null, status: record.status,
      version: record.version, firstSeenAt: record.createdAt, changedAt: record.updatedAt, body: record.body, bodyPruned: record.body === null,
    },
    origin: {
      merchant: record.merchant,
      channel: record.channel,
      channelType: entry?.config.type ?? null,
      via: entry ? (isPlatform(entry.config.type) ? 'api' : 'file') : (source?.type === 'file' ? 'file' : source?.type ? 'api' : null),
      file: file ? { id: file.id, name: file.name, receivedAt: file.receivedAt, status: file.status, journey: `/api/merchants/${encodeURIComponent(file.merchant)}/files/${file.id}/journey` } : null,
      traceId: file?.traceId ?? null,
      recordNo: record.recordNo,
    },
    shipments: trail.children.filter((c) => own(c.merchant)).map((c) => ({
      id: c.id, externalId: c.externalId ?? null, status: c.status, receivedAt: c.createdAt, body: c.body,
    })),
    deliveries: trail.deliveries.filter((d) => own(d.merchant)).map(deliveryView),
  };
}
