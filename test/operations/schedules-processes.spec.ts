import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { sleep } from '../setup/until';

const fixture = path.join(__dirname, 'fixtures', 'schedule-process.ts');
const EVERY = 200;
const GRACE = 1000;

function startProcess(url: string): Promise<ChildProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: url, GRACE_MS: String(GRACE) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`schedule process exited early with ${code}`)));
  });
}

async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

interface Tick {
  at: number;
  missedSince: string | undefined;
}

describe('a fast schedule run by three processes', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    client = await db.client();
  });

  const ticksOf = async (queue: string): Promise<Tick[]> => {
    const { rows } = await client.query('select headers from postbox.messages where queue = $1', [queue]);
    return rows
      .map((r) => ({
        at: Date.parse(r.headers['x-postbox-schedule-tick']),
        missedSince: r.headers['x-postbox-schedule-missed-since'],
      }))
      .sort((a, b) => a.at - b.at);
  };
  /** Gaps between consecutive ticks that are not one interval: [after, before]. */
  const gaps = (ticks: Tick[]) =>
    ticks.flatMap((t, i) =>
      i > 0 && t.at - (ticks[i - 1] as Tick).at !== EVERY ? [[(ticks[i - 1] as Tick).at, t.at]] : [],
    );

  it('enqueues every tick exactly once, none while paused, and applies missed after all three were down', async () => {
    // Processes first: a schedule whose ticks pass while no runner runs is "missed" (the test of that comes later).
    let children = await Promise.all([1, 2, 3].map(() => startProcess(db.url)));
    await postbox.createQueue('ticks-skip');
    await postbox.createQueue('ticks-once');
    await postbox.createSchedule('fast-skip', {
      queue: 'ticks-skip',
      everyMs: EVERY,
      missed: 'skip',
      message: { body: 's' },
    });
    await postbox.createSchedule('fast-once', {
      queue: 'ticks-once',
      everyMs: EVERY,
      missed: 'once',
      message: { body: 'o' },
    });
    await sleep(3000);

    await postbox.pauseSchedule('fast-skip');
    const pausedAt = Date.now();
    await sleep(1500);
    const resumeAt = Date.now();
    await postbox.resumeSchedule('fast-skip');
    await sleep(2000);

    await killAll(children);
    const downAt = Date.now();
    await sleep(3500);
    const restartAt = Date.now();
    children = await Promise.all([1, 2, 3].map(() => startProcess(db.url)));
    const upAt = Date.now(); // the catch-up tick is older than the grace at the first pass, which starts at once
    await sleep(2500);
    await killAll(children);

    const skip = await ticksOf('ticks-skip');
    const once = await ticksOf('ticks-once');
    // Exactly once: no tick twice, and the tick table agrees with the messages.
    for (const [name, ticks] of [
      ['fast-skip', skip],
      ['fast-once', once],
    ] as const) {
      expect(new Set(ticks.map((t) => t.at)).size, name).toBe(ticks.length);
      const { rows } = await client.query('select count(*)::int as n from postbox.schedule_ticks where schedule = $1', [
        name,
      ]);
      expect(rows[0].n, name).toBe(ticks.length);
      expect(
        ticks.every((t) => t.at % EVERY === 0),
        name,
      ).toBe(true);
    }
    expect(skip.length).toBeGreaterThan(25);
    expect(once.length).toBeGreaterThan(35);

    // fast-skip: two gaps, the pause and the downtime; nothing in between is missing.
    const skipGaps = gaps(skip);
    expect(skipGaps).toHaveLength(2);
    const [pauseGap, downGap] = skipGaps as [number[], number[]];
    expect(pauseGap[0]).toBeLessThan(pausedAt);
    expect(pauseGap[1]).toBeGreaterThan(resumeAt);
    expect(skip.some((t) => t.at > pausedAt && t.at < resumeAt)).toBe(false);
    // Down 3.5 s: ticks older than the 1 s grace at restart were skipped, none caught up.
    expect(downGap[0]).toBeLessThan(downAt);
    expect(downGap[1]).toBeGreaterThanOrEqual(restartAt - GRACE - EVERY);
    expect(downGap[1] - downGap[0]).toBeGreaterThan(1500);
    expect(skip.filter((t) => t.missedSince)).toEqual([]);

    // fast-once: one catch-up message for the downtime, then every tick again.
    const catchUps = once.filter((t) => t.missedSince);
    expect(catchUps).toHaveLength(1);
    const catchUp = catchUps[0] as Tick;
    const onceGaps = gaps(once);
    expect(onceGaps).toHaveLength(1);
    const [lastBefore, firstAfter] = onceGaps[0] as number[];
    expect(firstAfter).toBe(catchUp.at);
    expect(Date.parse(catchUp.missedSince as string)).toBe((lastBefore as number) + EVERY);
    expect(catchUp.at).toBeGreaterThan(downAt);
    expect(catchUp.at).toBeLessThan(upAt);
    const { rows } = await client.query('select count(*)::int as n from postbox.schedule_ticks where catch_up');
    expect(rows[0].n).toBe(1);
  });
});
