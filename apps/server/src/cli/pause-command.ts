import type { Command } from 'commander';
import { report } from './output';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

/** `postbox pause | resume`: a paused queue takes sends and gives nothing to receivers and consumers. */
export function addPauseCommands(program: Command): void {
  for (const verb of ['pause', 'resume'] as const) {
    targetOptions(
      program
        .command(verb)
        .description(
          verb === 'pause'
            ? 'pause a queue: receives and consumers get nothing, sends still land'
            : 'resume a paused queue; waiting consumers are woken',
        )
        .argument('<queue>')
        .action((queue: string, options: TargetOptions) =>
          withTarget(options, async (target) => {
            const result: Json = verb === 'pause' ? await target.pause(queue) : await target.resume(queue);
            report(options.json, result, `${queue}: ${result.paused ? 'paused' : 'running'}`);
          }),
        ),
    );
  }
}
