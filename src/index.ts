import { type Config, ConfigError, loadConfig, startUpWarnings } from './config.js';
import { DataDirInUseError } from './db/dataDirLock.js';
import { createLogger } from './logger.js';
import { PortInUseError, type RunningServer, startServer } from './server.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`palisade: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
for (const warning of startUpWarnings(config)) logger.warn(warning);
let server: RunningServer | undefined;
let stopping = false;

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // Before the server is up there is nothing to drain; migrations run in a transaction of their own.
  if (!server) process.exit(0);
  server.shutdown().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ error: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
      process.exit(1);
    },
  );
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);

try {
  server = await startServer(config, logger);
} catch (error) {
  if (error instanceof DataDirInUseError || error instanceof PortInUseError) {
    process.stderr.write(`palisade: ${error.message}\n`);
    process.exit(1);
  }
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'failed to start');
  process.exit(1);
}
