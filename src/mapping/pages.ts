/**
 * Records in pages, for rendering: the consumer awaits once per page instead of once per record. An
 * async generator costs a promise and a microtask per value it yields, and a render passed three of
 * them per record (read pages → check → render): for 200,000 stock rows that was a measurable share of
 * the render (docs/benchmarks.md).
 */
export interface RecordPages {
  readonly pages: AsyncIterable<readonly Record<string, unknown>[]>;
}

/** What OutputMapping.render takes: records one by one (sync or async), or in pages. */
export type RenderInput = Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>> | RecordPages;

/** Records of a sync iterable per yielded page. */
const PAGE = 256;

function isPaged(input: RenderInput): input is RecordPages {
  return typeof (input as Partial<RecordPages>).pages === 'object' && !(Symbol.iterator in input) && !(Symbol.asyncIterator in input);
}

/**
 * `input` as pages, in order: pages as given; a sync iterable gathered PAGE records at a time (no
 * await per record); an async iterable one record per page (it must be awaited per record anyway).
 */
export async function* pagesOf(input: RenderInput): AsyncGenerator<readonly Record<string, unknown>[]> {
  if (isPaged(input)) {
    yield* input.pages;
    return;
  }
  if (Symbol.iterator in input) {
    let page: Record<string, unknown>[] = [];
    for (const record of input) {
      page.push(record);
      if (page.length >= PAGE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
    return;
  }
  for await (const record of input) yield [record];
}
