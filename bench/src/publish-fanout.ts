/**
 * Pub/sub fan-out: publish rate to a topic with 1, 10 and 100 consumer groups.
 * Each publish (one message or a batch) is one statement whatever the number
 * of groups, so the cost grows with the rows written (messages × groups),
 * not with round trips.
 *
 *   node --import tsx bench/src/publish-fanout.ts            (embedded PostgreSQL 18)
 *   DATABASE_URL=postgres://… node --import tsx bench/src/publish-fanout.ts
 *
 * Env: FANOUT_GROUPS=1,10,100  FANOUT_SECONDS=5  FANOUT_BATCH=100  FANOUT_CONCURRENCY=4
 */
import { sql } from 'kysely';
import { Postbox } from 'postbox';
import { openBenchDatabase } from './bench-database';
import { now } from './timing';

const groupCounts = (process.env.FANOUT_GROUPS ?? '1,10,100').split(',').map(Number);
const seconds = Number(process.env.FANOUT_SECONDS ?? 5);
const batchSize = Number(process.env.FANOUT_BATCH ?? 100);
const concurrency = Number(process.env.FANOUT_CONCURRENCY ?? 4);

interface Row {
  groups: number;
  mode: string;
  published: number;
  publishedPerSec: number;
  deliveredPerSec: number;
}

/** Runs `concurrency` publishers for `seconds`; returns messages published. */
async function drive(publishOnce: () => Promise<number>): Promise<{ messages: number; elapsedMs: number }> {
  const start = now();
  const deadline = start + seconds * 1000;
  let messages = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < deadline) {
        const published = await publishOnce(); // not `messages += await …`: that would read `messages` before the await
        messages += published;
      }
    }),
  );
  return { messages, elapsedMs: now() - start };
}

async function main() {
  const log = (line: string) => console.log(line);
  const database = await openBenchDatabase(log);
  const postbox = await Postbox.create({
    connectionString: database.url,
    migrate: true,
    maxConnections: concurrency + 2,
  });
  const rows: Row[] = [];
  try {
    await postbox.maintainArchive();
    // Baseline: the same driver sending to one queue (no topic), to compare publish to 1 group with.
    await postbox.createQueue('baseline');
    const baselinePayload = Array.from({ length: batchSize }, (_, i) => ({ body: { n: i, pad: 'x'.repeat(64) } }));
    for (const [mode, sendOnce] of [
      [
        `queue send, batch of ${batchSize}`,
        async () => (await postbox.sendBatch('baseline', baselinePayload)).ids.length,
      ],
      [
        'queue send, single',
        async () => (await postbox.send('baseline', { body: { n: 0, pad: 'x'.repeat(64) } })) && 1,
      ],
    ] as const) {
      const { messages, elapsedMs } = await drive(sendOnce);
      const perSec = Math.round((messages * 1000) / elapsedMs);
      rows.push({ groups: 0, mode, published: messages, publishedPerSec: perSec, deliveredPerSec: perSec });
      log(`${mode}: ${perSec} messages/s`);
      await sql`truncate postbox.messages`.execute(postbox.db);
    }
    for (const groups of groupCounts) {
      for (const retained of [false, true]) {
        const topic = `fanout-${groups}${retained ? '-retained' : ''}`;
        await postbox.createTopic(topic, retained ? { retentionMs: 3_600_000 } : {});
        for (let g = 0; g < groups; g++) await postbox.subscribe(topic, `g${g}`);
        const payload = Array.from({ length: batchSize }, (_, i) => ({ body: { n: i, pad: 'x'.repeat(64) } }));
        for (const [mode, publishOnce] of [
          [`batch of ${batchSize}`, async () => (await postbox.publishBatch(topic, payload)).length],
          ['single', async () => (await postbox.publish(topic, { body: { n: 0, pad: 'x'.repeat(64) } })) && 1],
        ] as const) {
          const { messages, elapsedMs } = await drive(publishOnce);
          const perSec = (messages * 1000) / elapsedMs;
          rows.push({
            groups,
            mode: `${mode}${retained ? ', archived' : ''}`,
            published: messages,
            publishedPerSec: Math.round(perSec),
            deliveredPerSec: Math.round(perSec * groups),
          });
          log(
            `${groups} group(s), ${rows.at(-1)?.mode}: ${Math.round(perSec)} messages/s published, ` +
              `${Math.round(perSec * groups)} deliveries/s`,
          );
          // Keep the live table from growing across runs: the next run starts from a small table.
          await sql`truncate postbox.messages`.execute(postbox.db);
        }
      }
    }
    console.table(rows);
  } finally {
    await postbox.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
