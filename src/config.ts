// Every environment variable Gatehouse reads, parsed and checked once (CONTRACT §1).

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  internalPort: number;
  internalHost: string;
  issuer: string;
  secretPepper: string | undefined;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  codeTtl: number;
  logLevel: string;
  dbPoolSize: number;
  /** Reverse-proxy hops in front of Gatehouse whose X-Forwarded-For and X-Forwarded-Proto are believed (CONTRACT §1). */
  trustProxy: number;
  /** How long requests in flight may take to complete after SIGTERM or SIGINT. */
  shutdownGraceSeconds: number;
  /** Seconds a claimed print job stays with its claim before it is queued again (CONTRACT §9). */
  printJobLeaseSeconds: number;
  /** The language of end-user pages when neither ui_locales nor Accept-Language chooses one (CONTRACT §1, §11). */
  defaultLocale: 'uk' | 'en';
  /** `required`: a member of an ADMIN client without a second factor enrols before the console lets them in (§11). */
  adminMfa: 'optional' | 'required';
  /** Seconds between housekeeping runs (CONTRACT §1 "housekeeping"); each run clears the whole backlog. */
  housekeepingIntervalSeconds: number;
  /** Rows removed per statement by housekeeping. */
  housekeepingBatchSize: number;
  /** CONTRACT §1: undefined keeps audit events for ever. */
  auditRetentionDays: number | undefined;
  /** Seconds between looks for rotated keys besides the notification (CONTRACT §6: within 60 s). */
  keyPollSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const value = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}: must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL: must be a postgres:// or postgresql:// connection string');
  }
  const port = integer('PORT', 3000, 0, 65535);
  const internalPort = integer('INTERNAL_PORT', 3001, 0, 65535);
  if (port !== 0 && port === internalPort) {
    problems.push(`INTERNAL_PORT: must differ from PORT (${port}); /internal is never served on PORT`);
  }
  const internalHost = value('INTERNAL_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]+$/.test(internalHost)) {
    problems.push(`INTERNAL_HOST: must be a host name or IP address, got ${JSON.stringify(internalHost)}`);
  }

  let issuer = value('ISSUER') ?? `http://localhost:${port}`;
  try {
    const url = new URL(issuer);
    if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash) throw new Error();
    issuer = issuer.replace(/\/+$/, '');
  } catch {
    problems.push(`ISSUER: must be an absolute http(s) URL without query or fragment, got ${JSON.stringify(issuer)}`);
  }

  const secretPepper = value('SECRET_PEPPER');
  if (secretPepper !== undefined && secretPepper.length < 32) {
    problems.push('SECRET_PEPPER: must be at least 32 characters long');
  }

  const logLevel = value('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name}: must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return raw as T;
  };

  const config: Config = {
    databaseUrl,
    dataDir: value('DATA_DIR') ?? './data',
    port,
    internalPort,
    internalHost,
    issuer,
    secretPepper,
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', 3600, 1, 31_536_000),
    refreshTokenTtl: integer('REFRESH_TOKEN_TTL', 2_592_000, 1, 315_360_000),
    codeTtl: integer('CODE_TTL', 60, 1, 86_400),
    logLevel,
    dbPoolSize: integer('DB_POOL_SIZE', 10, 1, 200),
    trustProxy: integer('TRUST_PROXY', 0, 0, 10),
    shutdownGraceSeconds: integer('SHUTDOWN_GRACE_SECONDS', 10, 0, 3600),
    printJobLeaseSeconds: integer('PRINT_JOB_LEASE_SECONDS', 300, 1, 86_400),
    defaultLocale: oneOf('DEFAULT_LOCALE', ['uk', 'en'] as const, 'uk'),
    adminMfa: oneOf('ADMIN_MFA', ['optional', 'required'] as const, 'optional'),
    housekeepingIntervalSeconds: integer('HOUSEKEEPING_INTERVAL_SECONDS', 60, 1, 86_400),
    housekeepingBatchSize: integer('HOUSEKEEPING_BATCH_SIZE', 5000, 1, 100_000),
    auditRetentionDays: value('AUDIT_RETENTION_DAYS') === undefined ? undefined : integer('AUDIT_RETENTION_DAYS', 0, 1, 36_500),
    keyPollSeconds: integer('KEY_POLL_SECONDS', 30, 1, 60),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
