import type { Command } from 'commander';
import { count, list, report } from './output';
import { type TargetOptions, targetOptions, withTarget } from './target';

const PURGEABLE = ['ready', 'delayed', 'dead'] as const;

/** `postbox purge`: a queue's messages in the states named, never in-flight ones (API.md "Operating a queue"). */
export function addPurgeCommand(program: Command): void {
  targetOptions(
    program
      .command('purge')
      .description('delete the messages of a queue in the states named (in-flight ones are untouched)')
      .argument('<queue>')
      .requiredOption('--states <list>', `comma-separated, at least one of: ${PURGEABLE.join(', ')}`)
      .action((queue: string, options: TargetOptions & { states: string }) =>
        withTarget(options, async (target) => {
          const states = list(options.states, '--states', PURGEABLE);
          const purged = await target.purge(queue, states);
          report(options.json, { purged }, `purged ${count(purged)} message(s) from ${queue} (${states.join(', ')})`);
        }),
      ),
  );
}
