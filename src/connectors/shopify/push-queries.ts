/**
 * The GraphQL documents of the Shopify stock and shipment push (Admin API 2026-04, see config.ts).
 * The two mutations carry Shopify's `@idempotent(key:)` directive with a key Wharf derives from the
 * content (idempotency.ts); the key is put into the document as a literal (a UUID, nothing to escape),
 * as Shopify's own examples do.
 * https://shopify.dev/docs/api/usage/idempotent-requests
 */

/**
 * The `available` quantity of up to 250 inventory items at one location (`inventoryLevel` is null when
 * the item is not stocked there; a node is null when the id is unknown).
 * https://shopify.dev/docs/api/admin-graphql/2026-04/objects/InventoryItem (inventoryLevel, quantities)
 */
export const INVENTORY_LEVELS = `query WharfInventoryLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id tracked
      inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
    }
  }
}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkKey(key: string): string {
  if (!UUID.test(key)) throw new Error(`not an idempotency key: ${key.slice(0, 40)}`);
  return key;
}

/**
 * `inventorySetQuantities` with the mandatory (from 2026-04) idempotency directive. Variables:
 * `input: { name: "available", reason, quantities: [{ inventoryItemId, locationId, quantity, changeFromQuantity }] }`.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/inventorySetQuantities
 */
export function setQuantitiesMutation(key: string): string {
  return `mutation WharfSetStock($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "${checkKey(key)}") {
    inventoryAdjustmentGroup { id createdAt }
    userErrors { field message code }
  }
}`;
}

/**
 * What a shipment push needs of one order: whether it is cancelled, its fulfillments with their
 * tracking numbers (read before resending), and its fulfillment orders with the open quantities per
 * line at their assigned location. At most 30 fulfillments and 5 fulfillment orders of 50 lines each
 * (about 560 points in the documented cost model).
 * https://shopify.dev/docs/api/admin-graphql/2026-04/objects/Order (fulfillments, fulfillmentOrders)
 * https://shopify.dev/docs/api/admin-graphql/2026-04/objects/FulfillmentOrder
 */
export const SHIPMENT_ORDER = `query WharfShipmentOrder($id: ID!) {
  order(id: $id) {
    id name cancelledAt displayFulfillmentStatus
    fulfillments(first: 30) { id status trackingInfo(first: 5) { number company url } }
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
  }
}`;

/**
 * `fulfillmentCreate` on fulfillment orders of one order and one location, with tracking and
 * `notifyCustomer`. Whether this mutation honours `@idempotent` is unverified (Shopify's docs list the
 * directive for inventory and refund mutations); Wharf reads the order's fulfillments before any resend
 * either way.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/fulfillmentCreate
 */
export function fulfillMutation(key: string): string {
  return `mutation WharfFulfill($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) @idempotent(key: "${checkKey(key)}") {
    fulfillment { id status trackingInfo(first: 5) { number } }
    userErrors { field message }
  }
}`;
}

/** Active locations for test-connection's hint. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/locations */
export const LOCATIONS = `query WharfLocations {
  locations(first: 50) { nodes { id name isActive } }
}`;
