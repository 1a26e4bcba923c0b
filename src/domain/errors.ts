// Errors are values with a type; one middleware renders them as the contract's JSON (CONTRACT §4).

export interface InvalidRule {
  rule: string;
  description: string;
  params?: unknown;
}

export interface InvalidEntry {
  entry: string;
  entry_type: 'json_data_property' | 'query_parameter' | 'path_parameter';
  rules: InvalidRule[];
}

export class DomainError extends Error {}

export class NotFound extends DomainError {
  constructor(message = 'not found') {
    super(message);
  }
}

export class Conflict extends DomainError {}

export class Forbidden extends DomainError {
  constructor(message = 'forbidden') {
    super(message);
  }
}

/** Input over a size limit the contract sets (a print job's document over 10 MiB decoded, CONTRACT §9). */
export class TooLarge extends DomainError {}

export class Invalid extends DomainError {
  constructor(readonly entries: InvalidEntry[], message = 'Validation failed') {
    super(message);
  }

  /** One problem with one body property, e.g. Invalid.property('consumer_id', 'existence', 'no such client'). */
  static property(name: string, rule: string, description: string, params?: unknown): Invalid {
    return new Invalid([{ entry: `$.${name}`, entry_type: 'json_data_property', rules: [{ rule, description, params }] }]);
  }
}

/** PostgreSQL unique violation (23505) on the named constraint or index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.code ?? e?.driverError?.code;
  const name = e?.constraint ?? e?.driverError?.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}
