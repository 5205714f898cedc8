import type { Command } from 'commander';
import { count, integer, list, print, report, UsageError } from './output';
import { progressWanted, startProgress } from './progress';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

const PURGEABLE = ['ready', 'delayed', 'dead'] as const;

/** `postbox purge | pause | resume | move`: operating a queue (API.md "Operating a queue"). */
export function addOperateCommands(program: Command): void {
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
  targetOptions(
    program
      .command('move')
      .description("move a queue's dead letters: back where each was dead-lettered from, or --to a queue")
      .argument('<queue>', 'the queue whose dead letters move')
      .option('--to <queue>', 'destination (default: the queue each came from)')
      .option('--no-wait', 'start the move and print its task id only')
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
            const progress = startProgress(`move ${queue}`, undefined, progressWanted(options));
            let task: Json;
            let shown = 0;
            try {
              for (;;) {
                task = await target.task(taskId);
                progress.add(task.moved - shown, task.total);
                shown = task.moved;
                if (task.state !== 'running' && task.state !== 'pending') break;
                await new Promise((resolve) => setTimeout(resolve, interval));
              }
            } finally {
              progress.stop();
            }
            if (task.state === 'failed')
              throw new Error(`move ${taskId} failed after ${count(task.moved)}: ${task.error ?? 'no reason given'}`);
            report(
              options.json,
              { taskId, ...task },
              `moved ${count(task.moved)} of ${count(task.total)} (task ${taskId}: ${task.state})`,
            );
          }),
      ),
  );
}

/** `postbox schedules`: recurring messages (API.md "Schedules"). */
export function addSchedulesCommand(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('recurring messages: list, show, create, pause, resume, delete');
  const row = (s: Json) => [
    s.name,
    s.queue ?? `topic ${s.topic}`,
    s.cron ?? `every ${s.everyMs} ms`,
    s.timezone ?? 'UTC',
    s.nextAt ?? '—',
    s.lastAt ?? '—',
    s.paused ? 'yes' : 'no',
  ];
  const head = ['name', 'target', 'when', 'timezone', 'next', 'last', 'paused'];
  targetOptions(
    schedules
      .command('list')
      .description('every schedule with its next and last tick')
      .action((options: TargetOptions) =>
        withTarget(options, async (target) =>
          print(options.json, await target.listSchedules(), head, (all) => all.map(row)),
        ),
      ),
  );
  targetOptions(
    schedules
      .command('show')
      .argument('<name>')
      .description('one schedule')
      .action((name: string, options: TargetOptions) =>
        withTarget(options, async (target) =>
          print(options.json, [await target.getSchedule(name)], head, (all) => all.map(row)),
        ),
      ),
  );
  targetOptions(
    schedules
      .command('create')
      .description('create a schedule (same settings again is a no-op)')
      .argument('<name>')
      .option('--queue <queue>', 'send to this queue')
      .option('--topic <topic>', 'publish to this topic')
      .option('--cron <expression>', 'cron expression, e.g. "*/5 * * * *"')
      .option('--every <ms>', 'or a fixed interval')
      .option('--timezone <tz>', 'IANA time zone of the cron expression', 'UTC')
      .option('--missed <policy>', 'after downtime: skip, or once (one catch-up message)', 'skip')
      .requiredOption('--body <json>', 'the message body as JSON')
      .action(
        (
          name: string,
          options: TargetOptions & {
            queue?: string;
            topic?: string;
            cron?: string;
            every?: string;
            timezone: string;
            missed: string;
            body: string;
          },
        ) =>
          withTarget(options, async (target) => {
            if (Boolean(options.queue) === Boolean(options.topic))
              throw new UsageError('give --queue or --topic (one)');
            if (Boolean(options.cron) === Boolean(options.every)) throw new UsageError('give --cron or --every (one)');
            list(options.missed, '--missed', ['skip', 'once']);
            let body: unknown;
            try {
              body = JSON.parse(options.body);
            } catch (error) {
              throw new UsageError(`--body: not JSON (${(error as Error).message})`);
            }
            const created = await target.createSchedule({
              name,
              ...(options.queue ? { queue: options.queue } : { topic: options.topic }),
              ...(options.cron ? { cron: options.cron } : { everyMs: integer(options.every as string, '--every') }),
              timezone: options.timezone,
              missed: options.missed,
              message: { body },
            });
            print(options.json, [created], head, (all) => all.map(row));
          }),
      ),
  );
  for (const verb of ['pause', 'resume', 'delete'] as const) {
    targetOptions(
      schedules
        .command(verb)
        .argument('<name>')
        .description(`${verb} a schedule`)
        .action((name: string, options: TargetOptions) =>
          withTarget(options, async (target) => {
            if (verb === 'delete') await target.deleteSchedule(name);
            else await (verb === 'pause' ? target.pauseSchedule(name) : target.resumeSchedule(name));
            report(
              options.json,
              { [verb === 'delete' ? 'deleted' : verb === 'pause' ? 'paused' : 'resumed']: name },
              `${name}: ${verb === 'delete' ? 'deleted' : `${verb}d`}`,
            );
          }),
        ),
    );
  }
}
