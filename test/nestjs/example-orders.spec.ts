import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/server/src/database/embedded-postgres';
import { type Exit, spawnNode } from '../setup/node-process';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

const ROOT = path.resolve(__dirname, '../..');
// Built once for the run by test/setup/global-setup.ts.
const MAIN = path.join(ROOT, 'apps/example-orders/dist/main.js');
const LIMIT_CENTS = 100_000;

interface RunningExample {
  child: ChildProcess;
  url: string;
  logs(): string;
  exited: Promise<Exit>;
}

/**
 * The example app end to end, as separate processes running the compiled
 * dist/ output (Nest needs decorator metadata, which tsx does not emit): a
 * SIGKILL mid-flow, a SIGTERM mid-flow, restarts, and at the end every
 * order has exactly one payment and one shipment, or none and a failure.
 */
describe('example-orders app', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
  }, 120_000);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  async function start(): Promise<RunningExample> {
    const port = await freePort();
    const running = spawnNode(MAIN, [], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: String(port),
        NO_COLOR: '1',
        // Slow enough payments that a kill lands mid-flow; short leases so a killed process's messages return soon.
        PAYMENT_LATENCY_MS: '200',
        PAYMENT_LIMIT_CENTS: String(LIMIT_CENTS),
        LEASE_MS: '5000',
      },
    });
    const { child, output: logs, exited } = running;
    children.push(child);
    await until(
      () => {
        if (child.exitCode !== null) throw new Error(`example exited early:\n${logs()}`);
        return logs().includes('listening on');
      },
      { what: 'example listening' },
    );
    return { child, url: `http://127.0.0.1:${port}`, logs, exited };
  }

  async function placeOrders(url: string, amounts: number[]): Promise<string[]> {
    const ids: string[] = [];
    for (const amountCents of amounts) {
      const response = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customer: `customer-${ids.length}`, amountCents }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { orderId: string }).orderId);
    }
    return ids;
  }

  const count = async (query: string, params: unknown[] = []) => (await sql.query(query, params)).rows[0].n as number;
  const paymentsOf = (ids: string[]) =>
    count('select count(*)::int as n from payments where order_id = any($1::bigint[])', [ids]);
  const shippedOf = (ids: string[]) =>
    count("select count(*)::int as n from orders where status = 'shipped' and id = any($1::bigint[])", [ids]);

  it('validates orders with the app pipe', async () => {
    const app = await start();
    try {
      const response = await fetch(`${app.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customer: 'x', amountCents: -5 }),
      });
      expect(response.status).toBe(400);
      expect(await count('select count(*)::int as n from orders')).toBe(0);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });

  it('survives SIGKILL and SIGTERM mid-flow: every order ends with exactly one payment and one shipment', async () => {
    // Round 1: 26 good orders and 4 over the limit; SIGKILL once payments are under way.
    const first = await start();
    const good = await placeOrders(
      first.url,
      Array.from({ length: 26 }, (_, i) => 1_000 + i * 100),
    );
    const declined = await placeOrders(first.url, [LIMIT_CENTS + 1, 250_000, 500_000, 1_000_000]);
    await until(async () => (await paymentsOf(good)) >= 3, { what: '3 payments' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const shippedAtKill = await shippedOf(good);
    expect(shippedAtKill, 'the kill landed mid-flow').toBeLessThan(good.length);
    // The killed process held messages (running or buffered): they come back when their 5 s lease runs out.
    const leasedByTheKilled =
      "select count(*)::int as n from postbox.messages where postbox.message_state(available_at, leased_until, lease_token) = 'inFlight'";
    expect(await count(leasedByTheKilled)).toBeGreaterThan(0);

    // Round 2: a new process finishes round 1's work (leases of the killed one run out), takes more orders, SIGTERM mid-flow.
    const second = await start();
    await until(async () => (await shippedOf(good)) === good.length, { what: 'round-1 orders shipped' });
    const more = await placeOrders(
      second.url,
      Array.from({ length: 10 }, (_, i) => 5_000 + i),
    );
    await until(async () => (await paymentsOf(more)) >= 1, { what: 'a round-2 payment' });
    second.child.kill('SIGTERM');
    // enableShutdownHooks: Nest runs the hooks, then re-raises the signal.
    expect(await second.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(second.logs()).toMatch(/drained 3 consumer\(s\)/);
    // A graceful stop leaves no message leased: the unfinished ones are ready for the next process at once.
    expect(await count(leasedByTheKilled)).toBe(0);

    // Round 3: everything completes.
    const third = await start();
    const allGood = [...good, ...more];
    try {
      await until(async () => (await shippedOf(allGood)) === allGood.length, { what: 'every good order shipped' });
      await until(
        async () =>
          (await count(
            "select count(*)::int as n from orders where status = 'payment_failed' and id = any($1::bigint[])",
            [declined],
          )) === declined.length,
        { what: 'declined orders failed' },
      );
      await until(async () => (await count('select count(*)::int as n from postbox.messages')) === 0, {
        what: 'queues empty',
      });
    } finally {
      third.child.kill('SIGTERM');
      await third.exited;
    }

    const { rows } = await sql.query(`
      select o.id::text, o.status, o.failure_reason,
             (select count(*)::int from payments p where p.order_id = o.id) as payments,
             (select count(*)::int from shipments s where s.order_id = o.id) as shipments
      from orders o order by o.id`);
    expect(rows).toHaveLength(good.length + declined.length + more.length);
    for (const row of rows) {
      if (declined.includes(row.id)) {
        expect(row).toMatchObject({ status: 'payment_failed', payments: 0, shipments: 0 });
        expect(row.failure_reason).toMatch(/card declined: .* is over the 1000\.00 limit/);
      } else {
        expect(row, `order ${row.id}`).toMatchObject({ status: 'shipped', payments: 1, shipments: 1 });
      }
    }
    // Each shipment belongs to its order's one payment.
    expect(
      await count(
        'select count(*)::int as n from shipments s join payments p on p.id = s.payment_id and p.order_id = s.order_id',
      ),
    ).toBe(allGood.length);
    const inbox = await sql.query(
      'select consumer, count(*)::int as n from postbox.inbox group by consumer order by consumer',
    );
    expect(inbox.rows).toEqual([
      { consumer: 'payment-failures', n: declined.length },
      { consumer: 'payments', n: allGood.length },
      { consumer: 'shipping', n: allGood.length },
    ]);
    expect(await count('select count(*)::int as n from postbox.dead_letters')).toBe(0);
    const logs = first.logs() + second.logs() + third.logs();
    expect(logs).toMatch(/order \d+ placed by customer-0 for 10\.00/);
    expect(logs).toMatch(/order \d+: payment \d+ captured/);
    expect(logs).toMatch(/order \d+: shipment \d+ created, order shipped/);
    // The first attempt may have been a delivery the SIGKILL cut short: it counts, and was never logged.
    expect(logs).toMatch(/card declined, attempt [12] of 3 \(will retry\)/);
    expect(logs).toMatch(/payment failed after 3 attempts, dead-lettered/);
  }, 240_000);
});
