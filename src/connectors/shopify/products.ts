import { paginate } from '../http/pager.js';
import type { ProductPage } from '../types.js';
import { shopifyDefaults } from './config.js';
import { graphql, type ShopifyContext } from './graphql.js';
import { VARIANT_COMPONENTS, VARIANTS } from './queries.js';

interface VariantNode {
  id: string;
  requiresComponents?: boolean;
  productVariantComponents?: unknown;
}

/**
 * Every product variant (the sellable item, with sku and barcode) with its product; for bundles
 * (`requiresComponents`) the components are added as `productVariantComponents.nodes`.
 * https://shopify.dev/docs/api/admin-graphql/2025-07/queries/productVariants
 */
export async function* pullProducts(ctx: ShopifyContext): AsyncGenerator<ProductPage> {
  const pages = paginate<{ after: string | null }>({ after: null }, async ({ after }) => {
    const data = await graphql<{ productVariants: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: VariantNode[] } }>(
      ctx, 'WharfVariants', VARIANTS, { first: shopifyDefaults.variantsPerPage, after },
    );
    const info = data.productVariants.pageInfo;
    return { records: data.productVariants.nodes, next: info.hasNextPage && info.endCursor ? { after: info.endCursor } : undefined };
  });
  for await (const records of pages) {
    for (const v of records as VariantNode[]) {
      if (!v.requiresComponents) continue;
      const data = await graphql<{ productVariant: { productVariantComponents: unknown } | null }>(ctx, 'WharfVariantComponents', VARIANT_COMPONENTS, { id: v.id });
      v.productVariantComponents = data.productVariant?.productVariantComponents;
    }
    yield { records };
  }
}
