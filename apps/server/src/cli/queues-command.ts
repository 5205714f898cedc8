import type { Command } from 'commander';
import { count, duration, integer, print, printTable } from './output';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

const depth = (q: Json) => [
  q.name,
  count(q.ready),
  count(q.delayed),
  count(q.inFlight),
  count(q.dead),
  duration(q.oldestReadyAgeMs),
];
const DEPTH_HEAD = ['queue', 'ready', 'delayed', 'in flight', 'dead', 'oldest ready'];

/** `postbox queues`: every queue with its settings; `postbox stats`: depth, once or --watch. */
export function addQueueCommands(program: Command): void {
  targetOptions(
    program
      .command('queues')
      .description('list queues with their settings and depth')
      .action((options: TargetOptions) =>
        withTarget(options, async (target) => {
          print(
            options.json,
            await target.listQueues(),
            [...DEPTH_HEAD, 'max attempts', 'visibility', 'dead-letter queue', 'fifo'],
            (queues) =>
              queues.map((q: Json) => [
                ...depth(q),
                q.maxAttempts,
                duration(q.visibilityTimeoutMs),
                q.deadLetterQueue ?? '—',
                q.fifo ? 'yes' : 'no',
              ]),
          );
        }),
      ),
  );

  targetOptions(
    program
      .command('stats')
      .description('messages per state and oldest ready age, for every queue or one')
      .argument('[queue]', 'only this queue')
      .option('-w, --watch', 'refresh until Ctrl-C, with rates since the last refresh')
      .option('--interval <ms>', 'refresh interval for --watch', '2000')
      .option('--count <n>', 'with --watch: stop after this many refreshes')
      .action(
        (queue: string | undefined, options: TargetOptions & { watch?: boolean; interval: string; count?: string }) =>
          withTarget(options, async (target) => {
            const read = async (): Promise<Json[]> =>
              queue ? [await target.getQueue(queue)] : await target.listQueues();
            if (!options.watch) {
              print(options.json, await read(), DEPTH_HEAD, (queues) => queues.map(depth));
              return;
            }
            const interval = integer(options.interval, '--interval', 100);
            const limit = options.count === undefined ? Number.POSITIVE_INFINITY : integer(options.count, '--count');
            let stop = false;
            process.once('SIGINT', () => {
              stop = true;
            });
            let previous = new Map<string, Json>();
            let previousAt = 0;
            for (let round = 0; round < limit && !stop; round++) {
              if (round > 0) await new Promise((resolve) => setTimeout(resolve, interval));
              const at = Date.now();
              const queues = await read();
              const seconds = (at - previousAt) / 1000;
              // Net change of ready + delayed per second: positive while producers outrun consumers.
              const rate = (q: Json) => {
                const before = previous.get(q.name);
                if (!before || round === 0) return null;
                return (q.ready + q.delayed - before.ready - before.delayed) / seconds;
              };
              if (options.json) {
                // One JSON object per refresh, one per line: `postbox stats --watch --json | jq`.
                process.stdout.write(
                  `${JSON.stringify({ at: new Date(at).toISOString(), queues: queues.map((q) => ({ ...q, backlogPerSecond: rate(q) })) })}\n`,
                );
              } else {
                if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
                process.stdout.write(`${new Date(at).toISOString()}  (every ${interval} ms, Ctrl-C to stop)\n`);
                printTable(
                  [...DEPTH_HEAD, 'backlog Δ/s'],
                  queues.map((q) => {
                    const r = rate(q);
                    return [...depth(q), r === null ? '—' : `${r >= 0 ? '+' : ''}${r.toFixed(1)}`];
                  }),
                );
              }
              previous = new Map(queues.map((q) => [q.name, q]));
              previousAt = at;
            }
          }),
      ),
  );
}
