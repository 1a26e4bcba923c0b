// Pages of every list response (CONTRACT §4): `{data, paging}`; the query schema is listQuery (src/schemas/common.ts).
export interface Paging {
  page_number: number;
  page_size: number;
  total_entries: number;
  total_pages: number;
}

export interface Page<T> {
  data: T[];
  paging: Paging;
}

export function pageOf<T>(data: T[], total: number, page: number, pageSize: number): Page<T> {
  return {
    data,
    paging: { page_number: page, page_size: pageSize, total_entries: total, total_pages: Math.ceil(total / pageSize) },
  };
}

/** page and page_size from a query that listQuery validated (defaults applied). */
export function pageParams(query: Record<string, unknown>): { page: number; pageSize: number } {
  return { page: query.page as number, pageSize: query.page_size as number };
}
