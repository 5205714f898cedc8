/**
 * The cost of archiving acks: ack rate for a queue without retentionMs (the
 * plain one-statement DELETE) and with it (DELETE … RETURNING feeding an
 * INSERT into the time-partitioned archive), batches of 100 receipts.
 * Only the ack statements are timed; claims happen between them, and the
 * two queues take turns batch by batch.
 *
 *   node --import tsx bench/src/ack-retention.ts
 *
 * Env: ACK_MESSAGES=20000  ACK_BATCH=100  ACK_ROUNDS=3
 */
import { sql } from 'kysely';
import { Postbox } from 'postbox';
import { openBenchDatabase } from './bench-database';
import { now } from './timing';

const total = Number(process.env.ACK_MESSAGES ?? 20_000);
const batch = Number(process.env.ACK_BATCH ?? 100);
const rounds = Number(process.env.ACK_ROUNDS ?? 3);

/**
 * Fills both queues, then alternates one timed ack batch on each, so both see
 * the same machine load (this machine is shared; separate runs drift ±50%).
 */
async function ackRates(postbox: Postbox, queues: readonly string[]): Promise<Map<string, number>> {
  const payload = Array.from({ length: 500 }, (_, i) => ({ body: { n: i, pad: 'x'.repeat(64) } }));
  for (const queue of queues) {
    for (let sent = 0; sent < total; sent += payload.length) await postbox.sendBatch(queue, payload);
  }
  const acked = new Map(queues.map((q) => [q, 0]));
  const ackMs = new Map(queues.map((q) => [q, 0]));
  for (let more = true; more; ) {
    more = false;
    for (const queue of queues) {
      const messages = await postbox.receive(queue, { max: batch });
      if (messages.length === 0) continue;
      more = true;
      const start = now();
      const result = await postbox.ack(
        queue,
        messages.map((m) => m.receipt),
      );
      ackMs.set(queue, (ackMs.get(queue) ?? 0) + now() - start);
      acked.set(queue, (acked.get(queue) ?? 0) + result.acked);
    }
  }
  return new Map(queues.map((q) => [q, ((acked.get(q) ?? 0) * 1000) / (ackMs.get(q) ?? 1)]));
}

async function main() {
  const database = await openBenchDatabase((line) => console.log(line));
  const postbox = await Postbox.create({ connectionString: database.url, migrate: true });
  try {
    await postbox.maintainArchive();
    await postbox.createQueue('plain');
    await postbox.createQueue('retained', { retentionMs: 3_600_000 });
    const results: Record<string, number[]> = { plain: [], retained: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['plain', 'retained'] : ['retained', 'plain'];
      const rates = await ackRates(postbox, order);
      for (const [queue, rate] of rates) results[queue]?.push(Math.round(rate));
      await sql`vacuum analyze postbox.messages`.execute(postbox.db);
    }
    for (const [queue, rates] of Object.entries(results)) {
      const sorted = [...rates].sort((a, b) => a - b);
      console.log(`${queue}: ack ${sorted.join(', ')} messages/s (median ${sorted[Math.floor(sorted.length / 2)]})`);
    }
    const { rows } = await sql<{ n: string }>`select count(*) as n from postbox.archived_messages`.execute(postbox.db);
    console.log(`archived rows: ${rows[0]?.n} (expected ${total * rounds})`);
  } finally {
    await postbox.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
