import { paginate } from '../http/pager.js';
import type { ProductPage } from '../types.js';
import { lightspeedDefaults } from './config.js';
import { lsRequest, type LightspeedContext } from './context.js';

/**
 * Every variant (Lightspeed's sellable item: sku, ean, articleCode), 250 a page, as returned by
 * GET /variants.json; the product is a resource link (`product.resource.id`).
 * https://developers.lightspeedhq.com/ecom/endpoints/variant/
 */
export async function* pullProducts(ctx: LightspeedContext): AsyncGenerator<ProductPage> {
  const pages = paginate(1, async (page) => {
    const res = await lsRequest<{ variants?: unknown[] }>(ctx, { path: '/variants.json', query: { limit: lightspeedDefaults.pageSize, page } });
    const variants = res.body?.variants ?? [];
    return { records: variants, next: variants.length >= lightspeedDefaults.pageSize ? page + 1 : undefined };
  });
  for await (const records of pages) yield { records };
}
