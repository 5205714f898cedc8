/**
 * The price of the HOT lease claim (migration 000011): a leased row keeps
 * its place at the front of messages_claim_idx (available_at is not moved),
 * so every claim reads past the rows in flight on leases. This measures a
 * claim of 10 + its ack (p50 over 300, one after another) with 0, 1,000 and
 * 10,000 messages in flight, for the HOT claim and for the claim that moved
 * available_at (swapped in for the comparison), in one run.
 *   npm run build && node bench/dist/in-flight-claims.js
 */
import pg from 'pg';
import { Postbox } from 'postbox';
import { openBenchDatabase } from './bench-database';
import { MOVING_CLAIM } from './moving-claim';

async function main() {
  const database = await openBenchDatabase((line) => console.error(line));
  const postbox = await Postbox.create({ connectionString: database.url, migrate: true });
  const admin = new pg.Client(database.url);
  await admin.connect();
  const { rows } = await admin.query(
    `select pg_get_functiondef('postbox.claim_messages(text,int,int,boolean)'::regprocedure) as def`,
  );
  const hot = rows[0].def as string;
  await postbox.createQueue('q', { visibilityTimeoutMs: 3_600_000 });
  console.log('| in flight | claim that moves available_at, p50 ms | HOT claim (leased_until), p50 ms |');
  console.log('|---:|---:|---:|');
  try {
    for (const inFlight of [0, 1_000, 10_000]) {
      const cells: string[] = [];
      for (const def of [MOVING_CLAIM, hot]) {
        await admin.query('truncate postbox.messages');
        await admin.query(def);
        for (let i = 0; i < inFlight + 5_000; i += 1_000)
          await postbox.sendBatch(
            'q',
            Array.from({ length: 1_000 }, (_, j) => ({ body: { n: i + j } })),
          );
        await admin.query('vacuum analyze postbox.messages');
        for (let taken = 0; taken < inFlight; taken += 1_000) await postbox.receive('q', { max: 1_000 });
        const times: number[] = [];
        for (let i = 0; i < 300; i++) {
          const started = performance.now();
          const got = await postbox.receive('q', { max: 10 });
          await postbox.ack(
            'q',
            got.map((m) => m.receipt),
          );
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        cells.push((times[150] as number).toFixed(2));
      }
      console.log(`| ${inFlight.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
    }
  } finally {
    await admin.query(hot);
    await admin.end();
    await postbox.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
