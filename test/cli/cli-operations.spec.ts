import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer } from '../server/test-server';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { runCli } from './run-cli';

const ADMIN = 'cli-ops-admin-key-0123456789';

/** Operating a queue from the CLI (API.md "Operating a queue", "Schedules"), in both modes, asserting rows. */
describe('postbox purge, move and schedules (compiled bin)', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let server: TestServer;
  let client: pg.Client;
  const modes: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    server = await startTestServer(postbox, { apiKey: ADMIN });
    client = await db.client();
    modes.direct = { DATABASE_URL: db.url };
    modes.service = { POSTBOX_URL: server.url, POSTBOX_API_KEY: ADMIN };
  });
  afterAll(() => server.close());

  /** Makes `n` dead letters in `queue` (maxAttempts 1, one failed delivery each). */
  async function deadLetters(queue: string, bodies: string[]) {
    await postbox.sendBatch(
      queue,
      bodies.map((body) => ({ body })),
    );
    const got = await postbox.receive(queue, { max: bodies.length });
    await postbox.nack(
      queue,
      got.map((m) => ({ receipt: m.receipt, error: 'boom' })),
    );
  }

  for (const mode of ['direct', 'service'] as const) {
    describe(`${mode} mode`, () => {
      const env = () => modes[mode] as Record<string, string>;
      const q = (name: string) => `ops-${mode}-${name}`;

      it('purge removes the states named and nothing else; --states is required', async () => {
        await postbox.createQueue(q('purge'), { maxAttempts: 1 });
        await deadLetters(q('purge'), ['dead-1', 'dead-2']);
        await postbox.sendBatch(q('purge'), [
          { body: 'r1' },
          { body: 'r2' },
          { body: 'r3' },
          { body: 'later', delayMs: 600_000 },
        ]);
        const none = await runCli(['purge', q('purge')], { env: env() });
        expect(none.code).toBe(1);
        expect(none.stderr).toContain("required option '--states <list>'");
        const purged = await runCli(['purge', q('purge'), '--states', 'ready,dead', '--json'], { env: env() });
        expect(purged.code, purged.stderr).toBe(0);
        expect(JSON.parse(purged.stdout)).toEqual({ purged: 5 });
        const { rows } = await client.query('select body from postbox.messages where queue = $1', [q('purge')]);
        expect(rows.map((r) => r.body)).toEqual(['later']);
        const { rows: dead } = await client.query(
          'select count(*)::int as n from postbox.dead_letters where queue = $1',
          [q('purge')],
        );
        expect(dead[0].n).toBe(0);
      });

      it('move follows the task to completion with a progress bar; dead letters are back in their queue', async () => {
        await postbox.createQueue(q('move'), { maxAttempts: 1 });
        await deadLetters(q('move'), ['m1', 'm2', 'm3']);
        const moved = await runCli(['move', q('move'), '--progress', '--interval', '50', '--json'], { env: env() });
        expect(moved.code, moved.stderr).toBe(0);
        expect(JSON.parse(moved.stdout)).toMatchObject({ state: 'completed', moved: 3, total: 3 });
        expect(moved.stderr).toMatch(/move ops-\S+ \[.*\] 100% \| 3\/3/);
        const { rows } = await client.query('select body from postbox.messages where queue = $1 order by body', [
          q('move'),
        ]);
        expect(rows.map((r) => r.body)).toEqual(['m1', 'm2', 'm3']);
        await postbox.createQueue(q('elsewhere'));
        await deadLetters(q('move'), ['m4']);
        const started = await runCli(['move', q('move'), '--to', q('elsewhere'), '--no-wait', '--json'], {
          env: env(),
        });
        expect(started.code, started.stderr).toBe(0);
        const { taskId } = JSON.parse(started.stdout);
        expect(typeof taskId).toBe('string');
      });

      it('pause and resume: the queue row says so, and a paused queue delivers nothing', async () => {
        await postbox.createQueue(q('pause'));
        await postbox.send(q('pause'), { body: 'held' });
        const paused = await runCli(['pause', q('pause'), '--json'], { env: env() });
        expect(paused.code, paused.stderr).toBe(0);
        expect(JSON.parse(paused.stdout)).toMatchObject({ name: q('pause'), paused: true });
        const row = async () =>
          (await client.query('select paused from postbox.queues where name = $1', [q('pause')])).rows[0].paused;
        expect(await row()).toBe(true);
        expect(await postbox.receive(q('pause'))).toEqual([]);
        const resumed = await runCli(['resume', q('pause')], { env: env() });
        expect(resumed.stdout.trim()).toBe(`${q('pause')}: running`);
        expect(await row()).toBe(false);
        expect((await postbox.receive(q('pause'))).map((m) => m.body)).toEqual(['held']);
      });

      it('schedules: create, list, pause, resume, delete, with rows to match', async () => {
        await postbox.createQueue(q('ticks'));
        const name = q('nightly');
        const created = await runCli(
          [
            'schedules',
            'create',
            name,
            '--queue',
            q('ticks'),
            '--cron',
            '0 3 * * *',
            '--timezone',
            'Europe/Berlin',
            '--body',
            '{"report":"daily"}',
            '--json',
          ],
          { env: env() },
        );
        expect(created.code, created.stderr).toBe(0);
        expect(JSON.parse(created.stdout)[0]).toMatchObject({
          name,
          queue: q('ticks'),
          cron: '0 3 * * *',
          paused: false,
        });
        const row = async () =>
          (
            await client.query(
              'select target, cron, timezone, paused, message from postbox.schedules where name = $1',
              [name],
            )
          ).rows[0];
        expect(await row()).toMatchObject({
          target: q('ticks'),
          cron: '0 3 * * *',
          timezone: 'Europe/Berlin',
          paused: false,
        });
        const listed = await runCli(['schedules', 'list'], { env: env() });
        expect(listed.stdout).toContain(name);
        expect((await runCli(['schedules', 'pause', name], { env: env() })).code).toBe(0);
        expect((await row()).paused).toBe(true);
        expect((await runCli(['schedules', 'resume', name], { env: env() })).code).toBe(0);
        expect((await row()).paused).toBe(false);
        const both = await runCli(
          ['schedules', 'create', 'x', '--queue', 'a', '--topic', 'b', '--every', '1000', '--body', '1'],
          { env: env() },
        );
        expect(both.stderr.trim()).toBe('postbox: give --queue or --topic (one)');
        expect((await runCli(['schedules', 'delete', name], { env: env() })).code).toBe(0);
        expect(await row()).toBeUndefined();
        const gone = await runCli(['schedules', 'show', name], { env: env() });
        expect(gone.code).toBe(1);
        expect(gone.stderr).toContain('does not exist');
      });
    });
  }
});
