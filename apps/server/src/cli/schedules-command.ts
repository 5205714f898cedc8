import type { Command } from 'commander';
import { integer, list, print, report, UsageError } from './output';
import { type Json, type TargetOptions, targetOptions, withTarget } from './target';

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
