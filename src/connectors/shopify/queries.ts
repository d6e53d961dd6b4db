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

/** The fields of one order: the same for the pull and the webhook's look-up, so both give the ledger the same record. */
const ORDER_NODE = `id legacyResourceId name createdAt updatedAt processedAt cancelledAt cancelReason
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
      }`;

/** https://shopify.dev/docs/api/admin-graphql/2025-07/queries/orders */
export const ORDERS = `query WharfOrders($first: Int!, $after: String, $query: String!, $lineItems: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ${ORDER_NODE}
    }
  }
}`;

/** One order by id, for a webhook delivery. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/order */
export const ORDER = `query WharfOrder($id: ID!, $lineItems: Int!) {
  order(id: $id) {
    ${ORDER_NODE}
  }
}`;

/**
 * The app's webhook subscriptions of the order topics. From 2025-04 a subscription's address is `uri`
 * (the older `endpoint { … callbackUrl }` is gone in 2026-07).
 * https://shopify.dev/docs/api/admin-graphql/2026-04/queries/webhookSubscriptions
 */
export const WEBHOOK_SUBSCRIPTIONS = `query WharfWebhookSubscriptions($first: Int!, $after: String, $topics: [WebhookSubscriptionTopic!]) {
  webhookSubscriptions(first: $first, after: $after, topics: $topics) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}`;

/** https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/webhookSubscriptionCreate */
export const WEBHOOK_CREATE = `mutation WharfWebhookCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}`;

/** https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/webhookSubscriptionDelete */
export const WEBHOOK_DELETE = `mutation WharfWebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
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
