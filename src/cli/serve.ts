// `wkills serve`: the whole product in one process; SIGINT/SIGTERM stop it in order (feed,
// drain the rings into the store, close sockets with a reason, close the database).
import { createApp } from '../app.js';
import type { Config } from '../config/index.js';

export async function runServe(config: Config): Promise<void> {
  const app = await createApp(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'stopping');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await app.start();
}
