#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { addMigrateCommands } from './migrate-command';

/**
 * The `postbox` bin. commander (not node:util parseArgs) because every
 * command needs its own options and --help, and commander is the most used,
 * dependency-free parser for that (14.x, ~180 kB).
 */
const program = new Command()
  .name('postbox')
  .description('Postbox: PostgreSQL transactional outbox and message queue')
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

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode);
  }
  // One clear line and a non-zero exit: no stack for an operator's mistake.
  console.error(`postbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
