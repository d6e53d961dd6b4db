import { paginate } from '../http/pager.js';
import type { ProductPage } from '../types.js';
import { wooAuthQuery } from './auth.js';
import { wooDefaults } from './config.js';
import type { WooContext } from './context.js';
import { asArray, nextPage } from './orders.js';

/**
 * Sellable items: simple products as returned, and for every variable product its variations, each
 * with `parent` ({ id, name, sku, type }) added so the mapping can name it. Variable parents, grouped
 * and external products are not sellable items and are left out.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-products
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-product-variations
 */
export async function* pullProducts(ctx: WooContext): AsyncGenerator<ProductPage> {
  for await (const products of pages(ctx, '/products')) {
    const records: unknown[] = [];
    for (const p of products as WooProduct[]) {
      if (p.type === 'variable') {
        const parent = { id: p.id, name: p.name, sku: p.sku, type: p.type };
        for await (const variations of pages(ctx, `/products/${encodeURIComponent(String(p.id))}/variations`)) {
          for (const v of variations) records.push({ ...(v as object), parent });
        }
      } else if (p.type !== 'grouped' && p.type !== 'external') {
        records.push(p);
      }
    }
    if (records.length) yield { records };
  }
}

interface WooProduct {
  id: number;
  name?: string;
  sku?: string;
  type?: string;
}

function pages(ctx: WooContext, path: string): AsyncIterable<unknown[]> {
  return paginate(1, async (page) => {
    const res = await ctx.http.request<unknown[]>({
      path,
      query: { ...wooAuthQuery(ctx.config), per_page: wooDefaults.pageSize, page, orderby: 'id', order: 'asc' },
      signal: ctx.signal,
    });
    return { records: asArray(res.body), next: nextPage(page, res.headers, res.body) };
  });
}
