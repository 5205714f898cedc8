import type { Command } from 'commander';
import { count, report, UsageError } from './output';
import { type TargetOptions, targetOptions, withTarget } from './target';

/** `postbox replay`: a queue's archived messages, or a topic group's retained ones, delivered again. */
export function addReplayCommand(program: Command): void {
  targetOptions(
    program
      .command('replay')
      .description('deliver again what was acked since a time: `replay <queue>` or `replay <topic> <group>`')
      .argument('<queue-or-topic>')
      .argument('[group]', 'a topic consumer group')
      .requiredOption('--from <time>', 'ISO time, e.g. 2026-01-31T12:00:00Z')
      .action((name: string, group: string | undefined, options: TargetOptions & { from: string }) =>
        withTarget(options, async (target) => {
          if (Number.isNaN(Date.parse(options.from))) throw new UsageError(`--from: "${options.from}" is not a time`);
          const replayed = group
            ? await target.replayTopic(name, group, options.from)
            : await target.replayQueue(name, options.from);
          report(
            options.json,
            { replayed },
            `replayed ${count(replayed)} message(s) to ${group ? `${name}/${group}` : name}`,
          );
        }),
      ),
  );
}
