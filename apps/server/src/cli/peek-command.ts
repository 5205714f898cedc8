import type { Command } from 'commander';
import { MESSAGE_STATES } from 'postbox';
import { integer, list, print, shortJson } from './output';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

const HEAD = ['id', 'state', 'attempts', 'enqueued', 'group', 'body', 'last error'];
export const messageRow = (m: Json) => [
  m.id,
  m.state,
  m.attempts,
  m.enqueuedAt,
  m.groupKey ?? '',
  shortJson(m.body),
  m.lastError ? shortJson(m.lastError, 40) : '',
];

/** `postbox peek`: messages of one state in delivery order, claiming nothing. */
export function addPeekCommand(program: Command): void {
  targetOptions(
    program
      .command('peek')
      .description('show messages of a queue without claiming them (delivery order)')
      .argument('<queue>')
      .option('-s, --state <state>', `one of ${MESSAGE_STATES.join(', ')}`, 'ready')
      .option('-n, --limit <n>', 'at most this many (1..1000)', '20')
      .action((queue: string, options: TargetOptions & { state: string; limit: string }) =>
        withTarget(options, async (target) => {
          const [state] = list(options.state, '--state', MESSAGE_STATES) as [string];
          const limit = integer(options.limit, '--limit', 1, 1000);
          print(options.json, await target.peek(queue, state, limit), HEAD, (messages) => messages.map(messageRow));
        }),
      ),
  );
}
