// Pages of a table in the contract's stable order (CONTRACT §4: `inserted_at`, then `id`), with the filters
// every list shares: exact matches and a case-insensitive substring.
import type { EntityManager } from 'typeorm';

export interface Listed<T> {
  items: T[];
  total: number;
}

/** WHERE conditions with numbered parameters; undefined filter values add nothing. */
export class Conditions {
  readonly values: unknown[] = [];
  readonly parts: string[];

  constructor(...fixed: string[]) {
    this.parts = [...fixed];
  }

  equals(column: string, value: unknown): this {
    if (value !== undefined) this.parts.push(`${column} = $${this.values.push(value)}`);
    return this;
  }

  /** `column` at or after (`>=`), at or before (`<=`) or before (`<`) a value. */
  compare(column: string, op: '>=' | '<=' | '<', value: unknown): this {
    if (value !== undefined) this.parts.push(`${column} ${op} $${this.values.push(value)}`);
    return this;
  }

  /** Substring, any case; `%`, `_` and `\` in the text match themselves. */
  contains(column: string, text: string | undefined): this {
    if (text !== undefined) this.parts.push(`${column} ILIKE $${this.values.push(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    return this;
  }

  get clause(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** One page and the total in one round trip (a second only for a page past the end). */
export async function listPage<T>(
  manager: EntityManager, table: string, columns: string, where: Conditions, page: number, pageSize: number,
  order: 'asc' | 'desc' = 'asc',
): Promise<Listed<T>> {
  const n = where.values.length;
  const direction = order === 'desc' ? 'DESC' : 'ASC';
  const rows: Array<T & { total: string }> = await manager.query(
    `SELECT ${columns}, count(*) OVER () AS total FROM ${table} ${where.clause}
     ORDER BY inserted_at ${direction}, id ${direction} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...where.values, pageSize, (page - 1) * pageSize],
  );
  const total = rows.length ? Number(rows[0].total)
    : Number((await manager.query(`SELECT count(*) AS total FROM ${table} ${where.clause}`, where.values))[0].total);
  return { items: rows.map(({ total: _total, ...item }) => item as T), total };
}
