import type { Command } from 'commander';
import { count, report, UsageError } from './output';
import { type TargetOptions, targetOptions, withTarget } from './target';

/** `postbox redrive`: dead letters back to their queue; named ids or --all, never guessed. */
export function addRedriveCommand(program: Command): void {
  targetOptions(
    program
      .command('redrive')
      .description('move dead letters back to the queue (attempts reset): the ids given, or --all')
      .argument('<queue>')
      .argument('[ids...]', 'dead letter ids (see: postbox peek <queue> --state dead)')
      .option('--all', 'every dead letter of the queue')
      .action((queue: string, ids: string[], options: TargetOptions & { all?: boolean }) =>
        withTarget(options, async (target) => {
          if (options.all && ids.length > 0) throw new UsageError('give ids or --all, not both');
          if (!options.all && ids.length === 0) throw new UsageError('give dead letter ids, or --all for every one');
          const redriven = await target.redrive(queue, options.all ? 'all' : ids);
          report(options.json, { redriven }, `redriven ${count(redriven)} message(s) to ${queue}`);
        }),
      ),
  );
}
