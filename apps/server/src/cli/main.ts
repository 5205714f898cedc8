#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { addKeysCommand } from './keys-command';
import { addMigrateCommands } from './migrate-command';
import { addMoveCommand } from './move-command';
import { addPauseCommands } from './pause-command';
import { addPeekCommand } from './peek-command';
import { addPurgeCommand } from './purge-command';
import { addQueueCommands } from './queues-command';
import { addRedriveCommand } from './redrive-command';
import { addReplayCommand } from './replay-command';
import { addSchedulesCommand } from './schedules-command';
import { addSendCommand } from './send-command';
import { addTailCommand } from './tail-command';
import { addTransactionsCommand } from './transactions-command';

/**
 * The `postbox` bin. commander (not node:util parseArgs) because every
 * command needs its own options and --help, and commander is the most used,
 * dependency-free parser for that (14.x, ~180 kB).
 *
 * Every command that reaches Postbox talks to PostgreSQL directly
 * (DATABASE_URL, through the `postbox` package) or to a running service
 * (--url / POSTBOX_URL with --key / POSTBOX_API_KEY, over REST): target.ts.
 */
const program = new Command()
  .name('postbox')
  .description(
    'Postbox: PostgreSQL transactional outbox and message queue.\n' +
      'Commands reach PostgreSQL directly (DATABASE_URL) or a service (--url / POSTBOX_URL, --key / POSTBOX_API_KEY).',
  )
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('run the REST service (embedded PostgreSQL when DATABASE_URL is unset; migrates on start)')
  .action(async () => {
    // main.ts starts the service when loaded; it owns signals and shutdown.
    await import('../main.js');
  });
addMigrateCommands(program);
addQueueCommands(program);
addPeekCommand(program);
addTailCommand(program);
addSendCommand(program);
addRedriveCommand(program);
addReplayCommand(program);
addPurgeCommand(program);
addPauseCommands(program);
addMoveCommand(program);
addSchedulesCommand(program);
addTransactionsCommand(program);
addKeysCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode);
  }
  // One clear line and a non-zero exit: no stack for an operator's mistake.
  console.error(`postbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
