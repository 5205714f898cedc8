/**
 * A quick drain: 20,000 messages through one lease-mode consumer (batch 500,
 * concurrency 10, empty handler), three rounds, msg/s each, without peers.
 * Was used to price counting attempts at handler start (issue 10 item 10);
 * bench/src/claim-candidates.ts compares claim designs with graphile-worker
 * in the same run. DATABASE_URL or embedded.
 *   npx tsx bench/src/drain-20k.ts
 */
import { Postbox } from 'postbox';
import { openBenchDatabase } from './bench-database';

const MESSAGES = 20_000;
/** HANDLER_MS=1: each handler sleeps 1 ms (an empty handler prices the consumer alone). */
const handlerMs = Number(process.env.HANDLER_MS ?? 0);

async function main() {
  const database = await openBenchDatabase((line) => console.log(line));
  const postbox = await Postbox.create({ connectionString: database.url, migrate: true });
  try {
    for (let round = 1; round <= 3; round++) {
      const queue = `drain-${round}`;
      await postbox.createQueue(queue);
      for (let i = 0; i < MESSAGES; i += 1_000) {
        await postbox.sendBatch(
          queue,
          Array.from({ length: 1_000 }, (_, j) => ({ body: { n: i + j } })),
        );
      }
      let handled = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const started = performance.now();
      const consumer = await postbox.consume(
        queue,
        async () => {
          if (handlerMs > 0) await new Promise((resolve) => setTimeout(resolve, handlerMs));
          if (++handled === MESSAGES) done();
        },
        { batchSize: 500, concurrency: 10 },
      );
      await finished;
      await consumer.stop();
      const seconds = (performance.now() - started) / 1000;
      const stats = await postbox.getQueueStats(queue);
      console.log(
        `round ${round}: ${MESSAGES} in ${seconds.toFixed(2)} s = ${Math.round(MESSAGES / seconds)} msg/s (left ${stats.ready + stats.inFlight})`,
      );
    }
  } finally {
    await postbox.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
