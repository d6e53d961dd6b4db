import { paginate } from '../http/pager.js';
import type { ProductPage } from '../types.js';
import { retailcrmDefaults } from './config.js';
import { crmRequest, type RetailcrmContext } from './context.js';

interface ProductsAnswer {
  success?: boolean;
  products?: ({ offers?: Record<string, unknown>[] } & Record<string, unknown>)[];
  pagination?: { totalPageCount?: number };
}

/**
 * Every offer (RetailCRM's sellable item: article, barcode, externalId) of every product, each with
 * its `product` (the product without its offer list) added.
 * https://docs.simla.com/Developers/API/APIVersions/APIv5#get--api-v5-store-products
 */
export async function* pullProducts(ctx: RetailcrmContext): AsyncGenerator<ProductPage> {
  const pages = paginate(1, async (page) => {
    const res = await crmRequest<ProductsAnswer>(ctx, { path: '/store/products', query: { limit: retailcrmDefaults.pageSize, page } });
    const total = res.body?.pagination?.totalPageCount ?? 0;
    return { records: res.body?.products ?? [], next: page < total ? page + 1 : undefined };
  });
  for await (const products of pages) {
    const records: unknown[] = [];
    for (const p of products as NonNullable<ProductsAnswer['products']>) {
      const { offers, ...product } = p;
      for (const offer of offers ?? []) records.push({ ...offer, product });
    }
    if (records.length) yield { records };
  }
}
