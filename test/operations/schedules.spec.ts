import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { cadenceOf } from '../../libs/core/src/schedules/cadence';
import { dueTicks, runDueSchedules } from '../../libs/core/src/schedules/run-due-schedules';
import { openTestPostbox } from '../setup/test-database';

const at = (iso: string) => new Date(iso);

describe('schedule cadence', () => {
  it('reads cron in its time zone across DST: a skipped local time runs at the next valid one, a repeated one once', () => {
    const berlin = cadenceOf({ cron: '30 2 * * *', everyMs: null, timezone: 'Europe/Berlin' });
    // 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist that day.
    expect(berlin.after(at('2026-03-28T12:00:00Z'))).toEqual(at('2026-03-29T01:00:00Z'));
    expect(berlin.after(at('2026-03-29T12:00:00Z'))).toEqual(at('2026-03-30T00:30:00Z'));
    // 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:30 happens twice, the schedule ticks once.
    const first = berlin.after(at('2026-10-24T12:00:00Z'));
    expect(first).toEqual(at('2026-10-25T00:30:00Z'));
    expect(berlin.after(first)).toEqual(at('2026-10-26T01:30:00Z'));
    expect(berlin.before(at('2026-10-26T00:00:00Z'))).toEqual(first);
  });

  it('puts everyMs ticks on multiples of the interval since the epoch', () => {
    const every = cadenceOf({ cron: null, everyMs: 60_000, timezone: 'UTC' });
    expect(every.after(at('2026-01-01T00:00:30Z'))).toEqual(at('2026-01-01T00:01:00Z'));
    expect(every.after(at('2026-01-01T00:01:00Z'))).toEqual(at('2026-01-01T00:02:00Z'));
    expect(every.before(at('2026-01-01T00:01:00Z'))).toEqual(at('2026-01-01T00:00:00Z'));
  });

  it('applies the missed policy to ticks later than the grace', () => {
    const every = cadenceOf({ cron: null, everyMs: 1000, timezone: 'UTC' });
    const row = { next_at: at('2026-01-01T00:00:01Z'), now: at('2026-01-01T00:01:00.500Z') };
    const skip = dueTicks({ ...row, missed: 'skip' }, every, 2000);
    expect(skip.ticks.map((t) => [t.at.toISOString(), t.catchUp])).toEqual([
      ['2026-01-01T00:00:59.000Z', false],
      ['2026-01-01T00:01:00.000Z', false],
    ]);
    expect(skip.nextAt).toEqual(at('2026-01-01T00:01:01Z'));
    const once = dueTicks({ ...row, missed: 'once' }, every, 2000);
    expect(once.ticks.map((t) => [t.at.toISOString(), t.catchUp])).toEqual([
      ['2026-01-01T00:00:58.000Z', true],
      ['2026-01-01T00:00:59.000Z', false],
      ['2026-01-01T00:01:00.000Z', false],
    ]);
    // On time (within the grace): every tick, no catch-up.
    const late = dueTicks({ next_at: at('2026-01-01T00:00:58Z'), now: row.now, missed: 'once' }, every, 5000);
    expect(late.ticks.map((t) => t.catchUp)).toEqual([false, false, false]);
  });
});

describe('schedules (library and psql)', () => {
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await postbox.createQueue('reports');
    await postbox.createTopic('heartbeats');
    await postbox.subscribe('heartbeats', 'monitor');
  });

  it('creates a schedule with nextAt; the same again is a no-op, other settings a conflict', async () => {
    const input = {
      queue: 'reports',
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      message: { body: { report: 'daily' } },
    };
    const { schedule, created } = await postbox.createSchedule('daily-report', input);
    expect(created).toBe(true);
    expect(schedule).toMatchObject({
      name: 'daily-report',
      queue: 'reports',
      cron: '0 9 * * 1-5',
      paused: false,
      missed: 'skip',
    });
    expect(schedule.nextAt?.getUTCMinutes()).toBe(0);
    expect([7, 8]).toContain(schedule.nextAt?.getUTCHours()); // 09:00 Berlin is 07:00 or 08:00 UTC
    expect((await postbox.createSchedule('daily-report', input)).created).toBe(false);
    await expect(postbox.createSchedule('daily-report', { ...input, timezone: 'UTC' })).rejects.toThrow(
      'schedule "daily-report" already exists with other settings',
    );
    expect((await postbox.listSchedules()).map((s) => s.name)).toEqual(['daily-report']);
  });

  it('refuses bad input naming the field', async () => {
    const base = { queue: 'reports', everyMs: 1000, message: { body: 1 } };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, queue: undefined }, 'queue or topic is required'],
      [{ ...base, topic: 'heartbeats' }, 'queue or topic is required'],
      [{ ...base, everyMs: undefined }, 'cron or everyMs is required'],
      [{ ...base, cron: '* * * * *' }, 'cron or everyMs is required'],
      [{ ...base, everyMs: 50 }, 'everyMs must be an integer between 100'],
      [{ ...base, everyMs: undefined, cron: 'not cron' }, 'cron is not a valid cron expression'],
      [{ ...base, timezone: 'Mars/Olympus' }, 'timezone must be an IANA time zone'],
      [{ ...base, missed: 'all' }, 'missed must be one of skip, once'],
      [{ ...base, message: 'x' }, 'message must be an object'],
      [{ ...base, message: { body: 1, dedupKey: 'k' } }, 'message.dedupKey is not allowed'],
      [{ ...base, message: { body: 1, priority: 1.5 } }, 'message.priority'],
      [{ ...base, queue: 'missing' }, 'queue "missing" does not exist'],
    ];
    for (const [input, message] of cases) {
      await expect(postbox.createSchedule('bad', input as never), message).rejects.toThrow(message);
    }
    await expect(postbox.createSchedule('bad name', base)).rejects.toThrow('name must match');
    expect(await postbox.listSchedules()).toHaveLength(1);
  });

  it('enqueues due ticks with the tick header, to a queue and to a topic; pause, resume, delete', async () => {
    await postbox.createSchedule('every-sec', {
      queue: 'reports',
      everyMs: 1000,
      message: { body: 'tick', headers: { a: 'b' } },
    });
    await postbox.createSchedule('beat', { topic: 'heartbeats', everyMs: 1000, message: { body: 'beat' } });
    // Make both due three ticks ago (within the default 60 s grace): all three are sent.
    await client.query(
      "update postbox.schedules set next_at = to_timestamp(floor(extract(epoch from now())) - 3) where name in ('every-sec', 'beat')",
    );
    const pass = await runDueSchedules(postbox.db, {});
    expect(pass.enqueued).toBeGreaterThanOrEqual(8);
    const { rows } = await client.query(
      "select queue, headers from postbox.messages where headers ? 'x-postbox-schedule-tick' order by queue, id",
    );
    const reports = rows.filter((r) => r.queue === 'reports');
    expect(reports.length).toBeGreaterThanOrEqual(4);
    expect(reports[0].headers).toMatchObject({ a: 'b', 'x-postbox-schedule': 'every-sec' });
    const ticks = reports.map((r) => Date.parse(r.headers['x-postbox-schedule-tick']));
    expect(ticks.every((t, i) => i === 0 || t - (ticks[i - 1] as number) === 1000)).toBe(true);
    // The topic's group got the same ticks (one more if a second boundary fell between the two schedules).
    const beats = rows.filter((r) => r.queue === 'heartbeats.monitor').length;
    expect(Math.abs(beats - reports.length)).toBeLessThanOrEqual(1);
    // A second pass sends at most a tick that came due since (a second boundary), never one sent already.
    expect((await runDueSchedules(postbox.db, {})).enqueued).toBeLessThanOrEqual(2);
    const { rows: all } = await client.query(
      "select headers->>'x-postbox-schedule-tick' as tick from postbox.messages where queue = 'reports'",
    );
    expect(new Set(all.map((r) => r.tick)).size).toBe(all.length);

    expect((await postbox.pauseSchedule('every-sec')).paused).toBe(true);
    await client.query("update postbox.schedules set next_at = now() - interval '2 s' where name = 'every-sec'");
    await runDueSchedules(postbox.db, {});
    const count = async () =>
      (
        await client.query(
          "select count(*)::int as n from postbox.messages where headers->>'x-postbox-schedule' = 'every-sec'",
        )
      ).rows[0].n;
    expect(await count()).toBe(all.length);
    const resumed = await postbox.resumeSchedule('every-sec');
    expect(resumed).toMatchObject({ paused: false, nextAt: null });
    await runDueSchedules(postbox.db, {}); // computes the first tick after now: nothing sent for the pause
    expect(await count()).toBe(all.length);
    expect((await postbox.getSchedule('every-sec')).nextAt?.getTime()).toBeGreaterThan(Date.now() - 100);

    expect(await postbox.deleteSchedule('every-sec')).toBe(true);
    expect(await postbox.deleteSchedule('every-sec')).toBe(false);
    await expect(postbox.getSchedule('every-sec')).rejects.toThrow('schedule "every-sec" does not exist');
    await expect(postbox.pauseSchedule('every-sec')).rejects.toThrow('does not exist');
  });

  it('records an unsendable tick on the schedule and moves on', async () => {
    await postbox.createQueue('doomed');
    await postbox.createSchedule('to-doomed', { queue: 'doomed', everyMs: 1000, message: { body: 1 } });
    await postbox.deleteQueue('doomed');
    await client.query("update postbox.schedules set next_at = now() - interval '1 s' where name = 'to-doomed'");
    await runDueSchedules(postbox.db, {});
    const schedule = await postbox.getSchedule('to-doomed');
    expect(schedule.lastError).toBe('queue "doomed" does not exist');
    expect(schedule.nextAt?.getTime()).toBeGreaterThan(Date.now() - 1000);
  });

  it('psql: create (cron next tick computed by the runner), pause, resume, delete, schedule_stats', async () => {
    const { rows } = await client.query(
      `select name, next_at from postbox.create_schedule('sql-cron', 'queue', 'reports', '{"body": "hi"}', cron => '*/5 * * * *', timezone => 'America/New_York')`,
    );
    expect(rows).toEqual([{ name: 'sql-cron', next_at: null }]);
    await runDueSchedules(postbox.db, {});
    const next = (await postbox.getSchedule('sql-cron')).nextAt as Date;
    expect(next.getUTCMinutes() % 5).toBe(0);
    await client.query(
      "select postbox.create_schedule('sql-bad', 'queue', 'reports', '{\"body\": 1}', cron => 'nonsense')",
    );
    await runDueSchedules(postbox.db, {});
    expect(await postbox.getSchedule('sql-bad')).toMatchObject({
      paused: true,
      lastError: expect.stringContaining('nonsense'),
    });
    await expect(
      client.query(
        "select postbox.create_schedule('sql-tz', 'queue', 'reports', '{\"body\": 1}', every_ms => 1000, timezone => 'Nope/Nope')",
      ),
    ).rejects.toThrow('time zone "Nope/Nope" not recognized');
    expect((await client.query("select postbox.pause_schedule('sql-cron') as ok")).rows[0].ok).toBe(true);
    expect(
      (await client.query("select paused from postbox.schedule_stats where name = 'sql-cron'")).rows[0].paused,
    ).toBe(true);
    expect((await client.query("select postbox.resume_schedule('sql-cron') as ok")).rows[0].ok).toBe(true);
    expect((await client.query("select postbox.delete_schedule('sql-cron') as ok")).rows[0].ok).toBe(true);
  });
});
