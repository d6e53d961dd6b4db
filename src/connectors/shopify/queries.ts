/**
 * The GraphQL documents of the Shopify connector (Admin API 2026-04, the pinned default; the pull queries are unchanged since 2025-07). Each operation is named, so the
 * request log and Shopify's own logs show what ran.
 */

const MONEY = 'shopMoney { amount currencyCode }';
const ADDRESS = 'name firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone';

const LINE_ITEM = `id sku name title quantity currentQuantity unfulfilledQuantity requiresShipping
  variant { id sku barcode }
  originalUnitPriceSet { ${MONEY} }
  discountedUnitPriceSet { ${MONEY} }
  discountedUnitPriceAfterAllDiscountsSet { ${MONEY} }
  taxLines { priceSet { ${MONEY} } }`;

/** https://shopify.dev/docs/api/admin-graphql/2025-07/queries/orders */
export const ORDERS = `query WharfOrders($first: Int!, $after: String, $query: String!, $lineItems: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId name createdAt updatedAt processedAt cancelledAt cancelReason
      displayFinancialStatus displayFulfillmentStatus
      email phone note currencyCode taxesIncluded
      shippingAddress { ${ADDRESS} }
      billingAddress { ${ADDRESS} }
      shippingLine { title code carrierIdentifier source taxLines { priceSet { ${MONEY} } } }
      totalPriceSet { ${MONEY} }
      totalShippingPriceSet { ${MONEY} }
      totalTaxSet { ${MONEY} }
      totalDiscountsSet { ${MONEY} }
      lineItems(first: $lineItems) {
        pageInfo { hasNextPage endCursor }
        nodes { ${LINE_ITEM} }
      }
    }
  }
}`;

/** The line items of one order beyond the first page. */
export const ORDER_LINE_ITEMS = `query WharfOrderLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ${LINE_ITEM} }
    }
  }
}`;

/** https://shopify.dev/docs/api/admin-graphql/2025-07/queries/productVariants */
export const VARIANTS = `query WharfVariants($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId sku barcode title displayName requiresComponents
      product { id legacyResourceId title handle status }
      inventoryItem { id tracked }
    }
  }
}`;

/** Bundle contents: https://shopify.dev/docs/api/admin-graphql/2025-07/objects/ProductVariantComponent */
export const VARIANT_COMPONENTS = `query WharfVariantComponents($id: ID!) {
  productVariant(id: $id) {
    productVariantComponents(first: 50) {
      nodes { quantity productVariant { id sku barcode } }
    }
  }
}`;

export const TEST_CONNECTION = `query WharfTestConnection {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}`;

export const LOCATION = `query WharfLocation($id: ID!) {
  location(id: $id) { id name isActive }
}`;
