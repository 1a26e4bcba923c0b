// Structured JSON logs; secrets, passwords and tokens are redacted wherever they appear in a log object.
import { pino } from 'pino';

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'secret', 'client_secret', 'password', 'token', 'access_token', 'refresh_token', 'code',
  '*.secret', '*.client_secret', '*.password', '*.token', '*.access_token', '*.refresh_token',
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
];

/** `destination` defaults to stdout; tests pass a stream to read what would have been logged. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'gatehouse' } };
  return destination ? pino(options, destination) : pino(options);
}
