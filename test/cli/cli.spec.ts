import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer } from '../server/test-server';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { runCli } from './run-cli';

const ADMIN = 'cli-admin-key-0123456789';

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('postbox CLI (compiled bin) against a real database and a live service', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let server: TestServer;
  let client: pg.Client;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'postbox-cli-'));
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

  const rows = async (queue: string) =>
    (await client.query('select body from postbox.messages where queue = $1 order by id', [queue])).rows.map(
      (r) => r.body,
    );

  it('--help works for the program and every command, naming its options', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z]+) /gm)]
      .map((m) => m[1] as string)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(
      expect.arrayContaining(['serve', 'migrate', 'queues', 'stats', 'peek', 'tail', 'send', 'redrive', 'replay']),
    );
    expect(commands).toEqual(
      expect.arrayContaining(['purge', 'pause', 'resume', 'move', 'schedules', 'transactions', 'keys']),
    );
    for (const command of commands) {
      const help = await runCli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: postbox ${command}`);
    }
    for (const sub of ['transactions show', 'transactions commit', 'keys create', 'keys revoke', 'schedules create']) {
      const help = await runCli([...sub.split(' '), '--help']);
      expect(help.code, sub).toBe(0);
      expect(help.stdout).toContain('--json');
    }
  });

  for (const mode of ['direct', 'service'] as const) {
    describe(`${mode} mode`, () => {
      const env = () => modes[mode] as Record<string, string>;
      const q = (name: string) => `cli-${mode}-${name}`;

      it('queues and stats: a table for people, JSON for scripts', async () => {
        await postbox.createQueue(q('list'), { maxAttempts: 7 });
        await postbox.sendBatch(q('list'), [{ body: 1 }, { body: 2 }]);
        const table = await runCli(['queues'], { env: env() });
        expect(table.code, table.stderr).toBe(0);
        const line = table.stdout.split('\n').find((l) => l.includes(q('list'))) as string;
        expect(line.split('│').map((c) => c.trim())).toEqual(expect.arrayContaining([q('list'), '2', '0', '7']));
        const json = await runCli(['stats', q('list'), '--json'], { env: env() });
        expect(JSON.parse(json.stdout)).toMatchObject([
          { name: q('list'), ready: 2, delayed: 0, inFlight: 0, dead: 0 },
        ]);
        const watch = await runCli(['stats', q('list'), '--watch', '--json', '--interval', '100', '--count', '3'], {
          env: env(),
        });
        const refreshes = watch.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(refreshes).toHaveLength(3);
        expect(refreshes[2].queues[0]).toMatchObject({ name: q('list'), ready: 2, backlogPerSecond: 0 });
        const people = await runCli(['stats', '--watch', '--interval', '100', '--count', '2'], { env: env() });
        expect(people.code, people.stderr).toBe(0);
        expect(people.stdout.match(/backlog Δ\/s/g)).toHaveLength(2);
        expect(people.stdout).toContain(q('list'));
      });

      it('send: one message, then a file of JSON lines with a progress bar (rate, ETA), then stdin', async () => {
        await postbox.createQueue(q('send'));
        const one = await runCli(['send', q('send'), '{"n":0}', '-H', 'kind=test', '--json'], { env: env() });
        expect(one.code, one.stderr).toBe(0);
        expect(JSON.parse(one.stdout)).toMatchObject({ duplicate: false });
        const file = path.join(tmp, `${mode}.jsonl`);
        writeFileSync(file, `${Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ n: i + 1 })).join('\n')}\n`);
        const many = await runCli(['send', q('send'), '--file', file, '--batch', '1000', '--progress', '--json'], {
          env: env(),
        });
        expect(many.code, many.stderr).toBe(0);
        expect(JSON.parse(many.stdout)).toMatchObject({ sent: 2_500, duplicates: 0 });
        expect(many.stderr).toMatch(/2500\/2500/);
        expect(many.stderr).toMatch(/\/s \| ETA/);
        const piped = await runCli(['send', q('send'), '-f', '-', '--envelope', '--progress'], {
          env: env(),
          input: '{"body":"a","headers":{"h":"1"}}\n\n{"body":"b"}\n',
        });
        expect(piped.code, piped.stderr).toBe(0);
        expect(piped.stdout).toMatch(/^sent 2 message\(s\) to cli-\S+ in [\d.]+ s/);
        // stdin has no known total: count, rate and elapsed time instead of a bar and ETA.
        expect(piped.stderr).toMatch(/send cli-\S+ 2 \| [\d,]+\/s \| \d+s/);
        const bodies = await rows(q('send'));
        expect(bodies).toHaveLength(2_503);
        expect(bodies[0]).toEqual({ n: 0 });
        expect(bodies[2_500]).toEqual({ n: 2_500 });
        expect(bodies.slice(-2)).toEqual(['a', 'b']);
        const { rows: headers } = await client.query(
          'select headers from postbox.messages where queue = $1 and headers is not null order by id',
          [q('send')],
        );
        expect(headers.map((r) => r.headers)).toEqual([{ kind: 'test' }, { h: '1' }]);
      });

      it('send: a bad line in a file sends nothing and names the line; errors are one line, exit code 1', async () => {
        await postbox.createQueue(q('bad'));
        const file = path.join(tmp, `${mode}-bad.jsonl`);
        writeFileSync(file, '{"ok":1}\n{"ok":2}\n{not json}\n{"ok":4}\n');
        const bad = await runCli(['send', q('bad'), '--file', file], { env: env() });
        expect(bad.code).toBe(1);
        expect(bad.stderr.trim().split('\n')).toHaveLength(1);
        expect(bad.stderr).toMatch(/^postbox: line 3: not JSON/);
        expect(await rows(q('bad'))).toEqual([]);
        const missing = await runCli(['peek', q('nope')], { env: env() });
        expect(missing.code).toBe(1);
        expect(missing.stderr.trim()).toMatch(/^postbox: .*does not exist/);
        expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      });

      it('peek and tail: claim nothing; tail prints only messages sent after it started', async () => {
        await postbox.createQueue(q('tail'));
        await postbox.sendBatch(q('tail'), [{ body: 'old-1' }, { body: 'old-2' }]);
        const peek = await runCli(['peek', q('tail'), '--json'], { env: env() });
        expect(JSON.parse(peek.stdout).map((m: { body: unknown }) => m.body)).toEqual(['old-1', 'old-2']);
        const tail = runCli(['tail', q('tail'), '--lines', '0', '--count', '3', '--interval', '50', '--json'], {
          env: env(),
        });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await postbox.sendBatch(q('tail'), [{ body: 'new-1' }, { body: 'new-2' }, { body: 'new-3', delayMs: 60_000 }]);
        const followed = await tail;
        expect(followed.code, followed.stderr).toBe(0);
        const seen = followed.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(seen.map((m) => [m.body, m.state])).toEqual([
          ['new-1', 'ready'],
          ['new-2', 'ready'],
          ['new-3', 'delayed'],
        ]);
        expect((await postbox.getQueueStats(q('tail'))).inFlight).toBe(0);
      });

      it('redrive needs ids or --all (never guessed), then moves dead letters back', async () => {
        await postbox.createQueue(q('dead'), { maxAttempts: 1 });
        await postbox.sendBatch(q('dead'), [{ body: 'd1' }, { body: 'd2' }, { body: 'd3' }]);
        const got = await postbox.receive(q('dead'), { max: 3 });
        await postbox.nack(
          q('dead'),
          got.map((m) => ({ receipt: m.receipt, error: 'boom' })),
        );
        const guessed = await runCli(['redrive', q('dead')], { env: env() });
        expect(guessed.code).toBe(1);
        expect(guessed.stderr).toContain('--all');
        expect((await postbox.getQueueStats(q('dead'))).dead).toBe(3);
        const first = got.find((m) => m.body === 'd1')?.id as string;
        const one = await runCli(['redrive', q('dead'), first, '--json'], { env: env() });
        expect(JSON.parse(one.stdout)).toEqual({ redriven: 1 });
        expect(await rows(q('dead'))).toEqual(['d1']);
        const all = await runCli(['redrive', q('dead'), '--all'], { env: env() });
        expect(all.stdout.trim()).toBe(`redriven 2 message(s) to ${q('dead')}`);
        expect((await postbox.getQueueStats(q('dead'))).dead).toBe(0);
      });

      it('replay delivers acked messages again from a time', async () => {
        await postbox.createQueue(q('replay'), { retentionMs: 3_600_000 });
        const from = new Date(Date.now() - 1_000).toISOString();
        await postbox.sendBatch(q('replay'), [{ body: 'r1' }, { body: 'r2' }]);
        const got = await postbox.receive(q('replay'), { max: 2 });
        await postbox.ack(
          q('replay'),
          got.map((m) => m.receipt),
        );
        const replay = await runCli(['replay', q('replay'), '--from', from, '--json'], { env: env() });
        expect(replay.code, replay.stderr).toBe(0);
        expect(JSON.parse(replay.stdout)).toEqual({ replayed: 2 });
        expect((await rows(q('replay'))).sort()).toEqual(['r1', 'r2']);
        const badTime = await runCli(['replay', q('replay'), '--from', 'yesterday'], { env: env() });
        expect(badTime.code).toBe(1);
        expect(badTime.stderr).toContain('--from');
      });

      it('transactions: show, commit and roll back half messages by hand', async () => {
        await postbox.createQueue(q('tx'));
        const a = await postbox.prepare({ queue: q('tx') }, { body: 'commit me' });
        const b = await postbox.prepare({ queue: q('tx') }, { body: 'roll me back' });
        const listed = await runCli(['transactions', 'list', '--state', 'prepared', '--json'], { env: env() });
        expect(listed.code, listed.stderr).toBe(0);
        const prepared = JSON.parse(listed.stdout).filter((t: { queue: string }) => t.queue === q('tx'));
        expect(prepared.map((t: { transactionId: string }) => t.transactionId).sort()).toEqual([a, b].sort());
        const table = await runCli(['transactions', 'list'], { env: env() });
        expect(table.stdout).toContain(a);
        const show = await runCli(['transactions', 'show', a, '--json'], { env: env() });
        expect(JSON.parse(show.stdout)).toMatchObject({ transactionId: a, state: 'prepared', queue: q('tx') });
        expect((await runCli(['transactions', 'commit', a], { env: env() })).code).toBe(0);
        expect((await runCli(['transactions', 'rollback', b], { env: env() })).code).toBe(0);
        expect(await rows(q('tx'))).toEqual(['commit me']);
        expect((await postbox.getTransaction(b)).state).toBe('rolledBack');
        const conflict = await runCli(['transactions', 'commit', b], { env: env() });
        expect(conflict.code).toBe(1);
        expect(conflict.stderr.trim().split('\n')).toHaveLength(1);
      });

      it('keys: create (secret shown once), list without secrets, revoke stops the key at once', async () => {
        const name = q('reader');
        const created = await runCli(['keys', 'create', name, '--scopes', 'read', '--names', 'cli-*', '--json'], {
          env: env(),
        });
        expect(created.code, created.stderr).toBe(0);
        const { key } = JSON.parse(created.stdout);
        expect(typeof key).toBe('string');
        const asReader = { POSTBOX_URL: server.url, POSTBOX_API_KEY: key };
        expect((await runCli(['queues', '--json'], { env: asReader })).code).toBe(0);
        const listed = await runCli(['keys', 'list', '--json'], { env: env() });
        const mine = JSON.parse(listed.stdout).find((k: { name: string }) => k.name === name);
        expect(mine).toMatchObject({ name, scopes: ['read'], names: 'cli-*' });
        expect(listed.stdout).not.toContain(key);
        const { rows: stored } = await client.query('select scopes from postbox.api_keys where name = $1', [name]);
        expect(stored).toEqual([{ scopes: ['read'] }]);
        expect((await runCli(['keys', 'revoke', name], { env: env() })).stdout.trim()).toBe(`revoked ${name}`);
        const refused = await runCli(['queues'], { env: asReader });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^postbox: 401/);
        const badScope = await runCli(['keys', 'create', 'x', '--scopes', 'root'], { env: env() });
        expect(badScope.stderr.trim()).toBe('postbox: --scopes: "root" is not one of admin, produce, consume, read');
      });
    });
  }

  it('service mode: a wrong key is a 401 and an unreachable service one clear line', async () => {
    const wrong = await runCli(['queues'], {
      env: { POSTBOX_URL: server.url, POSTBOX_API_KEY: 'wrong-key-000000000' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toMatch(/^postbox: 401 Unauthorized: /);
    const port = await closedPort();
    const down = await runCli(['queues', '--url', `http://127.0.0.1:${port}`], {});
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toBe(`postbox: cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
    const nowhere = await runCli(['queues'], {});
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('DATABASE_URL');
  });
});
