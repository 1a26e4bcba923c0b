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
