import type { Command } from 'commander';
import { count, integer, report } from './output';
import { progressWanted, startProgress } from './progress';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

/**
 * `postbox move`: starts a task moving a queue's dead letters (back where
 * each came from, or --to a queue) and follows its progress (moved/total,
 * rate, ETA) until it ends.
 */
export function addMoveCommand(program: Command): void {
  targetOptions(
    program
      .command('move')
      .description("move a queue's dead letters: back where each was dead-lettered from, or --to a queue")
      .argument('<queue>', 'the queue whose dead letters move')
      .option('--to <queue>', 'destination (default: the queue each came from)')
      .option(
        '--no-wait',
        'start the move and print its task id only (direct mode: the service or an app running Postbox finishes it)',
      )
      .option('--interval <ms>', 'progress poll interval', '250')
      .option('--progress', 'always show the progress bar (default: on a terminal)')
      .option('--no-progress', 'never show the progress bar')
      .action(
        (
          queue: string,
          options: TargetOptions & { to?: string; wait: boolean; interval: string; progress?: boolean },
        ) =>
          withTarget(options, async (target) => {
            const interval = integer(options.interval, '--interval', 20);
            const { taskId } = await target.move(queue, options.to);
            if (!options.wait) {
              report(options.json, { taskId }, `move started: task ${taskId}`);
              return;
            }
            // The task knows its total from the start (the dead letters movable then): a bar with an ETA.
            let task: Json = await target.task(taskId);
            const progress = startProgress(`move ${queue}`, task.total, progressWanted(options));
            let shown = 0;
            try {
              for (;;) {
                progress.add(task.moved - shown, task.total);
                shown = task.moved;
                if (task.state !== 'running') break; // completed (or failed)
                await new Promise((resolve) => setTimeout(resolve, interval));
                task = await target.task(taskId);
              }
            } finally {
              progress.stop();
            }
            if (task.state === 'failed')
              throw new Error(
                `move ${taskId} failed after ${count(task.moved)}: ${task.lastError ?? 'no reason given'}`,
              );
            report(
              options.json,
              { taskId, ...task },
              `moved ${count(task.moved)} of ${count(task.total)} (task ${taskId}: ${task.state})`,
            );
          }),
      ),
  );
}
