import type { Command } from 'commander';
import { integer, shortJson } from './output';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

const line = (m: Json) =>
  `${m.id}\t${m.enqueuedAt}\t${m.state}${m.groupKey ? `\tgroup=${m.groupKey}` : ''}\t${shortJson(m.body, 200)}`;

/**
 * `postbox tail`: prints the newest messages, then every message enqueued
 * after them as it arrives, claiming nothing (core tailMessages: ids after
 * the last seen, so it costs the same behind any backlog). A message sent
 * and consumed between two polls is not shown.
 */
export function addTailCommand(program: Command): void {
  targetOptions(
    program
      .command('tail')
      .description('follow new messages of a queue without consuming them (Ctrl-C to stop)')
      .argument('<queue>')
      .option('-n, --lines <n>', 'newest messages to show first (0: only new ones)', '10')
      .option('--interval <ms>', 'poll interval', '500')
      .option('--count <n>', 'stop after this many new messages')
      .action((queue: string, options: TargetOptions & { lines: string; interval: string; count?: string }) =>
        withTarget(options, async (target) => {
          const lines = integer(options.lines, '--lines', 0, 1000);
          const interval = integer(options.interval, '--interval', 50);
          const limit = options.count === undefined ? Number.POSITIVE_INFINITY : integer(options.count, '--count');
          const show = (m: Json) => process.stdout.write(`${options.json ? JSON.stringify(m) : line(m)}\n`);
          let stop = false;
          process.once('SIGINT', () => {
            stop = true;
          });
          const newest = await target.tail(queue, undefined, Math.max(1, lines));
          let after: string | undefined = newest.at(-1)?.id ?? '0';
          if (lines > 0) for (const m of newest) show(m);
          let seen = 0;
          while (!stop && seen < limit) {
            const batch = await target.tail(queue, after, 1000);
            for (const m of batch) {
              if (seen >= limit) break;
              show(m);
              seen++;
              after = m.id;
            }
            if (batch.length < 1000) await new Promise((resolve) => setTimeout(resolve, interval));
          }
        }),
      ),
  );
}
