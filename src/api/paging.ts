// Paging of every list (CONTRACT §4): page from 1, page_size default 50 and at most 100.
export const pagingQuery = {
  page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
  page_size: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
} as const;

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

/** LIMIT and OFFSET for a page. */
export function window(page: number, pageSize: number): { limit: number; offset: number } {
  return { limit: pageSize, offset: (page - 1) * pageSize };
}

/** The query schema of a list route: paging plus its filters; any other parameter is a problem (CONTRACT §4). */
export function listQuery(filters: Record<string, object> = {}) {
  return { type: 'object', additionalProperties: false, properties: { ...pagingQuery, ...filters } } as const;
}

/** page and page_size from a query that listQuery validated (defaults applied). */
export function pageParams(query: Record<string, unknown>): { page: number; pageSize: number } {
  return { page: query.page as number, pageSize: query.page_size as number };
}
