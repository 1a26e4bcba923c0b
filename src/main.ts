// Composition root: config → database → apps → listen.
import { startGatehouse } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLocked } from './db.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`${problem}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let gatehouse;
  try {
    gatehouse = await startGatehouse(config, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`${problem}\n`);
      process.exit(2);
    }
    if (err instanceof DataDirLocked) {
      process.stderr.write(`${err.message}\n`);
      process.exit(3);
    }
    log.fatal({ err }, 'could not start');
    process.exit(1);
  }
  log.info({ public: gatehouse.publicUrl, internal: gatehouse.internalUrl, issuer: config.issuer, embedded: gatehouse.db.embedded }, 'Gatehouse is serving');
  // CONTRACT §1 SHUTDOWN_GRACE_SECONDS: readiness answers 503 at once, requests in flight complete, then exit 0.
  const stop = async (signal: string) => {
    log.info({ signal, grace_seconds: config.shutdownGraceSeconds }, 'stopping');
    await gatehouse.close(config.shutdownGraceSeconds * 1000);
    log.info('stopped');
    process.exit(0);
  };
  // A signal can arrive twice (Ctrl-C reaches the whole process group, and tsx relays it too): the first one
  // starts the drain, the others must not end the process before it is done.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(signal);
    });
  }
}

void main();
