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
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await gatehouse.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

void main();
