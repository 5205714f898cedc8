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
import { MOVING_CLAIM } from './moving-claim';
import { GraphileWorkerPeer } from './peers/graphile-worker-peer';
import { enqueueAndDrain } from './workloads/enqueue-and-drain';

const TOTAL = 20_000;

interface Candidate {
  name: string;
  /** SQL that turns the schema into this candidate (after a truncate and the shipped claim restored). */
  apply: string;
  /** Consumer options beyond the concurrency (the lock-mode reference). */
  options?: { claimMode: 'lock'; batchSize: number };
}

/** The shipped claim (migration 000011) runs unless a candidate swaps in another. */
const candidates: Candidate[] = [
  {
    name: 'before 000011: the claim moves available_at, fillfactor 100',
    apply: `alter table postbox.messages set (fillfactor = 100); ${MOVING_CLAIM}`,
  },
  {
    name: 'HOT: lease in leased_until (unindexed), fillfactor 80',
    apply: 'alter table postbox.messages set (fillfactor = 80)',
  },
  {
    name: 'HOT: lease in leased_until (unindexed), fillfactor 50 (shipped)',
    apply: 'alter table postbox.messages set (fillfactor = 50)',
  },
  {
    name: 'reference: lock mode, batchSize 500',
    apply: 'alter table postbox.messages set (fillfactor = 50)',
    options: { claimMode: 'lock', batchSize: 500 },
  },
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
        await admin.query(c.apply);
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
        // The consumer's backends report their table counters when idle (within about a second).
        await new Promise((resolve) => setTimeout(resolve, 1_500));
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
