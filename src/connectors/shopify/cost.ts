import { WharfError } from '../../errors.js';

/**
 * Sizing a paged query by what Shopify says it costs. One query may cost at most 1,000 points,
 * computed from the document before it runs: a connection costs 2 + `first` × the cost of one node,
 * so nested connections multiply (orders × line items). Shopify refuses a costlier query with
 * MAX_COST_EXCEEDED and reports every answer's `extensions.cost.requestedQueryCost`; the sizer learns
 * the cost of one node from either and picks the largest `first` that stays under the ceiling.
 * https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits
 */

/** Shopify refused a query as too costly (`errors[].extensions.code` MAX_COST_EXCEEDED). */
export class QueryTooCostly extends WharfError {
  constructor(readonly operation: string, readonly cost: number, readonly maxCost: number, where?: string) {
    super('TRANSPORT_FAILED', `shopify: the query ${operation} would cost ${cost} points, over Shopify's single-query limit of ${maxCost}`, { where, hint: 'Wharf asks for fewer records per query; if it still fails, an order has more nested data than one query may hold' }, { retryable: false });
  }
}

/** The page size of one paged query: `first` (outer connection) and, optionally, an inner connection's size. */
export interface QuerySize {
  first: number;
  inner?: number;
}

export class QuerySizer {
  private current: QuerySize;

  /**
   * @param wanted the largest sizes to ask for (the outer `first` never grows beyond wanted.first).
   * @param maxCost Shopify's single-query ceiling (1000).
   * @param startFirst the outer `first` of the first query, before any cost is known: small enough to
   *   fit the ceiling in the common case, so that a fresh process is not refused once per query kind.
   */
  constructor(private readonly wanted: QuerySize, private readonly maxCost: number, startFirst = wanted.first) {
    this.current = { ...wanted, first: Math.min(wanted.first, Math.max(1, startFirst)) };
  }

  get size(): QuerySize {
    return { ...this.current };
  }

  /** After an answer: `cost` (requestedQueryCost) for the current size; adjusts `first` for the next query. */
  learn(cost: number): void {
    this.current.first = Math.min(this.wanted.first, Math.max(1, this.fit(cost)));
  }

  /** After MAX_COST_EXCEEDED at `cost`: a smaller size, or false when nothing can shrink any more. */
  shrink(cost: number): boolean {
    const { first, inner } = this.current;
    if (first > 1) {
      this.current.first = Math.max(1, Math.min(first - 1, this.fit(cost)));
      return true;
    }
    if (inner !== undefined && inner > 1) {
      this.current.inner = Math.max(1, Math.floor(inner / 2));
      return true;
    }
    return false;
  }

  /** The largest `first` whose cost stays within the ceiling, if `cost` was the price of the current one. */
  private fit(cost: number): number {
    const perNode = Math.max(1, (cost - 2) / this.current.first);
    return Math.floor((this.maxCost - 2) / perNode);
  }
}

/**
 * Runs one paged query at the sizer's size: on MAX_COST_EXCEEDED it shrinks and asks again; after an
 * answer it learns the cost (`costOf()` reads the requestedQueryCost of that answer). Throws the last
 * QueryTooCostly when even a single node is too costly.
 */
export async function sized<T>(sizer: QuerySizer, run: (size: QuerySize) => Promise<T>, costOf: () => number | undefined): Promise<T> {
  for (;;) {
    try {
      const out = await run(sizer.size);
      const cost = costOf();
      if (cost !== undefined) sizer.learn(cost);
      return out;
    } catch (err) {
      if (!(err instanceof QueryTooCostly) || !sizer.shrink(err.cost)) throw err;
    }
  }
}
