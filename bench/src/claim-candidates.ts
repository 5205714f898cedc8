/**
 * Lease-claim candidates side by side (issue 14 item 2): each candidate's
 * SQL is applied to the same embedded Postgres, then 20,000 messages are
 * drained by `consume(queue, handler, { concurrency: 10 })`, three times in A B B A A B
 * order, with graphile-worker (its documented best) in the same run. Prints
 * msg/s (best of 3), the ratio to graphile-worker, WAL bytes per message
 * during the drain, and the share of the claim's updates that were HOT.
 *   npm run build && node bench/dist/claim-candidates.js
 */
import pg from 'pg';
import { Postbox } from 'postbox';
import { openBenchDatabase } from './bench-database';
import { GraphileWorkerPeer } from './peers/graphile-worker-peer';
import { enqueueAndDrain } from './workloads/enqueue-and-drain';

const TOTAL = 20_000;

interface Candidate {
  name: string;
  /** SQL that turns the schema into this candidate (run after the previous one's undo). */
  apply: string;
  undo: string;
  /** Consumer options beyond the concurrency (the lock-mode reference). */
  options?: { claimMode: 'lock'; batchSize: number };
}

const CLAIM_HEAD = `create or replace function postbox.claim_messages(
  queue_name text, max_messages int, lease_ms int, count_attempt boolean default true
)
returns table (
  id bigint, lease_token bigint, body jsonb, headers jsonb, attempts int,
  enqueued_at timestamptz, group_key text, priority int, available_at timestamptz
)
language sql set enable_sort = off set jit = off as $$`;

function hotCandidate(fillfactor: number): Candidate {
  return {
    name: `HOT: lease in an unindexed column, fillfactor ${fillfactor}`,
    apply: `
      alter table postbox.messages add column leased_until timestamptz;
      alter table postbox.messages set (fillfactor = ${fillfactor});
      ${CLAIM_HEAD}
        with q as (select max_attempts, coalesce(lease_ms, visibility_timeout_ms) as vt from postbox.queues where name = queue_name),
        candidates as (
          select m.id, m.attempts from postbox.messages m
          where m.queue = queue_name and m.available_at <= now() and (m.leased_until is null or m.leased_until <= now())
          order by m.priority, m.available_at, m.id
          limit max_messages
          for update skip locked
        )
        update postbox.messages m
        set attempts = m.attempts + 1, leased_until = now() + q.vt * interval '1 millisecond',
            lease_token = postbox.new_lease_token()
        from candidates c, q where m.id = c.id
        returning m.id, m.lease_token, m.body, m.headers, m.attempts, m.enqueued_at, m.group_key, m.priority, m.leased_until
      $$;`,
    undo: `alter table postbox.messages drop column leased_until; alter table postbox.messages reset (fillfactor);`,
  };
}

const candidates: Candidate[] = [
  { name: 'current (non-HOT: moves available_at)', apply: '', undo: '' },
  ...[80, 50].map(hotCandidate),
  { name: 'reference: lock mode, batchSize 500', apply: '', undo: '', options: { claimMode: 'lock', batchSize: 500 } },
];

async function main() {
  const database = await openBenchDatabase((line) => console.error(line));
  const postbox = await Postbox.create({ connectionString: database.url, migrate: true });
  const consumerSide = await Postbox.create({ connectionString: database.url });
  const admin = new pg.Client(database.url);
  await admin.connect();
  const { rows: original } = await admin.query(
    `select pg_get_functiondef('postbox.claim_messages(text,int,int,boolean)'::regprocedure) as def`,
  );
  const graphile = new GraphileWorkerPeer(database.url);
  await graphile.start();
  await postbox.createQueue('bench');
  const best = new Map<string, { perSecond: number; walPerMessage: number; hotShare: number }>();
  try {
    const order = [...candidates, ...[...candidates].reverse(), ...candidates];
    for (const round of [0, 1, 2]) {
      const g = await enqueueAndDrain(graphile, { total: TOTAL, batch: 500, concurrency: 10 });
      const prev = best.get('graphile-worker');
      if (!prev || g.drainPerSecond > prev.perSecond)
        best.set('graphile-worker', { perSecond: g.drainPerSecond, walPerMessage: Number.NaN, hotShare: Number.NaN });
      console.error(`graphile-worker round ${round}: ${Math.round(g.drainPerSecond)}/s`);
      for (const c of order.slice(round * candidates.length, (round + 1) * candidates.length)) {
        await admin.query('truncate postbox.messages');
        await admin.query(original[0].def);
        if (c.apply) await admin.query(c.apply);
        await admin.query('vacuum analyze postbox.messages');
        for (let i = 0; i < TOTAL; i += 500)
          await postbox.sendBatch(
            'bench',
            Array.from({ length: 500 }, (_, j) => ({ body: { n: i + j, t: 0 } })),
          );
        const before = await counters(admin);
        let handled = 0;
        let first = 0;
        let last = 0;
        let done = () => {};
        const finished = new Promise<void>((resolve) => {
          done = resolve;
        });
        const consumer = await consumerSide.consume(
          'bench',
          () => {
            handled++;
            if (handled === 1) first = performance.now();
            if (handled === TOTAL) {
              last = performance.now();
              done();
            }
          },
          { concurrency: 10, ...c.options },
        );
        await finished;
        await consumer.stop();
        const after = await counters(admin);
        const perSecond = (TOTAL - 1) / ((last - first) / 1000);
        const walPerMessage = (after.wal - before.wal) / TOTAL;
        const updates = after.upd - before.upd;
        const hotShare = updates === 0 ? 0 : (after.hot - before.hot) / updates;
        console.error(
          `${c.name}: ${Math.round(perSecond)}/s, WAL ${Math.round(walPerMessage)} B/msg, HOT ${(100 * hotShare).toFixed(0)}%, claims ${consumer.stats.claims}`,
        );
        const p = best.get(c.name);
        if (!p || perSecond > p.perSecond) best.set(c.name, { perSecond, walPerMessage, hotShare });
        if (c.undo) await admin.query(c.undo);
      }
    }
    const gw = best.get('graphile-worker')?.perSecond ?? Number.NaN;
    console.log('| candidate | drain msg/s (best of 3) | × graphile-worker | WAL B/msg | HOT updates |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, r] of best)
      console.log(
        `| ${name} | ${Math.round(r.perSecond)} | ${(r.perSecond / gw).toFixed(2)} | ${Number.isNaN(r.walPerMessage) ? '—' : Math.round(r.walPerMessage)} | ${Number.isNaN(r.hotShare) ? '—' : `${(100 * r.hotShare).toFixed(0)}%`} |`,
      );
  } finally {
    await admin.end();
    await graphile.close();
    await consumerSide.close();
    await postbox.close();
    await database.stop();
  }
}

async function counters(admin: pg.Client): Promise<{ wal: number; upd: number; hot: number }> {
  await admin.query('select pg_stat_force_next_flush()');
  const { rows } = await admin.query(
    `select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 as wal,
            n_tup_upd::float8 as upd, n_tup_hot_upd::float8 as hot
     from pg_stat_user_tables where schemaname = 'postbox' and relname = 'messages'`,
  );
  return rows[0];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
