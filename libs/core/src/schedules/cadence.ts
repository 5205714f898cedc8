import { Cron } from 'croner';

/** When a schedule ticks: the one place cron expressions and intervals are read. */
export interface Cadence {
  /** The first tick strictly after `date`. */
  after(date: Date): Date;
  /** The last tick strictly before `date`, or null when there is none. */
  before(date: Date): Date | null;
}

/**
 * Cron through croner (time zones and DST: a local time skipped by a spring
 * change runs at the next valid time, one repeated in autumn runs once);
 * everyMs ticks fall on multiples of the interval since the epoch, so every
 * process computes the same ticks without sharing an anchor.
 */
export function cadenceOf(schedule: { cron: string | null; everyMs: number | null; timezone: string }): Cadence {
  const { everyMs } = schedule;
  if (everyMs !== null) {
    return {
      after: (date) => new Date((Math.floor(date.getTime() / everyMs) + 1) * everyMs),
      before: (date) => new Date((Math.ceil(date.getTime() / everyMs) - 1) * everyMs),
    };
  }
  const cron = new Cron(schedule.cron as string, { timezone: schedule.timezone, paused: true });
  return {
    after: (date) => {
      const next = cron.nextRun(date);
      // A pattern that never matches again (e.g. a fixed past year): no tick in the next 10,000 years.
      return next ?? new Date(253402300799000);
    },
    before: (date) => cron.previousRuns(1, date)[0] ?? null,
  };
}
