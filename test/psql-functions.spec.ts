import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/postbox';
import { useTestDatabase } from './setup/test-database';

/** The README's psql tour: send, receive and ack without TypeScript. */
describe('SQL functions for psql users', () => {
  let postbox: Postbox;
  let sql: pg.Client;
  beforeAll(async () => {
    const db = await useTestDatabase();
    postbox = await db.postbox();
    sql = await db.client();
  });

  it('sends, receives with a receipt the TypeScript ack accepts, and acks', async () => {
    await postbox.createQueue('psql');
    const { rows: sent } = await sql.query(`select postbox.send('psql', '{"to":"bob"}', '{"h":"1"}') as id`);
    const { rows: got } = await sql.query(`select * from postbox.receive('psql', 10)`);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: sent[0].id, attempts: 1, body: { to: 'bob' }, headers: { h: '1' } });
    expect((await sql.query(`select * from postbox.receive('psql', 10)`)).rows).toEqual([]);
    expect((await sql.query('select postbox.ack($1) as ok', [got[0].receipt])).rows[0].ok).toBe(true);
    expect((await sql.query('select postbox.ack($1) as ok', [got[0].receipt])).rows[0].ok).toBe(false);
    expect((await postbox.getQueueStats('psql')).inFlight).toBe(0);
  });

  it('receive keeps FIFO order per group, like the TypeScript claim', async () => {
    await postbox.createQueue('psql-fifo', { fifo: true });
    await postbox.sendBatch('psql-fifo', [
      { body: 1, groupKey: 'a' },
      { body: 2, groupKey: 'a' },
    ]);
    const { rows } = await sql.query(`select body from postbox.receive('psql-fifo', 10)`);
    expect(rows.map((r) => r.body)).toEqual([1]);
  });

  it('refuses to send to an unknown queue', async () => {
    await expect(sql.query(`select postbox.send('nope', '1')`)).rejects.toThrow('queue "nope" does not exist');
  });

  it('keeps calls written for the old send and publish signatures working (000008 dropped them)', async () => {
    await postbox.createQueue('psql-old');
    const { rows } = await sql.query(`select postbox.send('psql-old', '"x"', '{"h":"1"}', 0, 7) as id`);
    const { rows: stored } = await sql.query('select priority, headers from postbox.messages where id = $1', [
      rows[0].id,
    ]);
    expect(stored).toEqual([{ priority: 7, headers: { h: '1' } }]);
    const { rows: overloads } = await sql.query(
      `select proname, count(*)::int as n from pg_proc
       where pronamespace = 'postbox'::regnamespace and proname in ('send', 'publish') group by proname order by 1`,
    );
    expect(overloads).toEqual([
      { proname: 'publish', n: 1 },
      { proname: 'send', n: 1 },
    ]);
  });
});
