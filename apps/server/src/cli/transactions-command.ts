import type { Command } from 'commander';
import { TRANSACTION_STATES } from 'postbox';
import { integer, list, print, report } from './output';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

const HEAD = ['id', 'target', 'state', 'checks', 'created', 'next check', 'last error'];
const row = (t: Json) => [
  t.transactionId,
  t.queue ?? `topic ${t.topic}`,
  t.state,
  `${t.checks}/${t.maxChecks}`,
  t.createdAt,
  t.nextCheckAt ?? '—',
  t.lastError ?? '',
];

/** `postbox transactions`: half messages: list, show, commit or roll back by hand. */
export function addTransactionsCommand(program: Command): void {
  const transactions = program.command('transactions').description('half messages (prepare → commit | rollback)');
  targetOptions(
    transactions
      .command('list')
      .description('half messages, newest first')
      .option('--state <state>', `only ${TRANSACTION_STATES.join(', ')}`)
      .option('-n, --limit <n>', 'at most this many (1..1000)', '50')
      .action((options: TargetOptions & { state?: string; limit: string }) =>
        withTarget(options, async (target) => {
          const state = options.state === undefined ? undefined : list(options.state, '--state', TRANSACTION_STATES)[0];
          const found = await target.listTransactions(state, integer(options.limit, '--limit', 1, 1000));
          print(options.json, found, HEAD, (all) => all.map(row));
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
