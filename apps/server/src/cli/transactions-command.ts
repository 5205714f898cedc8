import type { Command } from 'commander';
import { print, report } from './output';
import { type TargetOptions, targetOptions, withTarget } from './target';

/**
 * `postbox transactions`: half messages: list, show, commit or roll back by hand.
 */
export function addTransactionsCommand(program: Command): void {
  const transactions = program.command('transactions').description('half messages (prepare → commit | rollback)');
  targetOptions(
    transactions
      .command('list')
      .description('half messages, newest first')
      .option('--state <state>', 'only prepared, committed, rolledBack or expired')
      .option('-n, --limit <n>', 'at most this many (1..1000)', '50')
      .action((options: TargetOptions & { state?: string; limit: string }) =>
        withTarget(options, async (target) => {
          const limit = Number(options.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit must be 1..1000');
          const found = await target.listTransactions(options.state, limit);
          print(options.json, found, ['id', 'state', 'queue or topic', 'checks', 'created'], (list) =>
            list.map((t) => [t.transactionId, t.state, t.queue ?? t.topic, t.checks ?? '', t.createdAt]),
          );
        }),
      ),
  );
  targetOptions(
    transactions
      .command('show')
      .description('one half message with its check-back history')
      .argument('<id>')
      .action((id: string, options: TargetOptions) =>
        withTarget(options, async (target) => {
          print(options.json, await target.getTransaction(id), ['field', 'value'], (t) =>
            Object.entries(t).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
          );
        }),
      ),
  );
  for (const verb of ['commit', 'rollback'] as const) {
    targetOptions(
      transactions
        .command(verb)
        .description(verb === 'commit' ? 'send the half messages (exactly once)' : 'discard the half messages')
        .argument('<ids...>')
        .action((ids: string[], options: TargetOptions) =>
          withTarget(options, async (target) => {
            for (const id of ids) {
              if (verb === 'commit') await target.commitTransaction(id);
              else await target.rollbackTransaction(id);
            }
            const done = verb === 'commit' ? 'committed' : 'rolled back';
            report(
              options.json,
              { [verb === 'commit' ? 'committed' : 'rolledBack']: ids },
              `${done} ${ids.join(', ')}`,
            );
          }),
        ),
    );
  }
}
