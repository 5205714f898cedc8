import type { Executor } from '../database/database';
import { MessageTooLargeError, QueueFullError } from '../errors';
import type { WakeupNotifier } from '../wakeups/wakeup-notifier';
import { type MessageColumns, type OutgoingMessage, toMessageColumns } from './message';
import { insertMessages, MAX_BATCH } from './send';

interface PendingSend {
  columns: MessageColumns;
  resolve: (result: { id: string; duplicate: boolean }) => void;
  reject: (error: unknown) => void;
}

/** One queue's sends waiting for the statement in flight to return. */
interface Lane {
  pending: PendingSend[];
  inFlight: number;
  /** A flush is already queued for the end of this turn of the event loop. */
  scheduled: boolean;
}

/**
 * Group commit for single sends of one Postbox client (outside a caller's
 * transaction): concurrent send() calls to the same queue share ONE insert
 * statement, so one transaction and one WAL flush, instead of one each.
 *
 * No timer: a send goes out at once (after the current turn of the event
 * loop, so sends made in one loop share a statement) unless a statement for
 * its queue is already in flight; then it waits with the others for that
 * statement to return, and they go together. Alone, a send costs what it did
 * before; under load the batch grows with the wait. Each caller's promise
 * settles with its own id only after the commit that stored its message.
 *
 * Measured with 8 producers each awaiting 3,000 sends (in
 * all, one process, PG18 on the shared 2-core machine, A/B alternated):
 * without a consumer 2,048 → 5,283 sends/s (2.84× median of paired rounds,
 * 1.76-3.92×); with a consumer draining the queue 1.64× (1.16-2.17×), the
 * consumer's own commits sharing the WAL flushes. The producers fall into
 * step: 3,000 sends took 375 transactions, 8 messages each.
 */
export class GroupCommitSender {
  private readonly lanes = new Map<string, Lane>();
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly db: Executor,
    private readonly notifier: WakeupNotifier,
    private readonly schema?: string,
    /**
     * Statements per queue in flight at once. One: while it runs, the next
     * batch fills up, and each batch finds the client idle, so its NOTIFY
     * rides in the statement. Two measured 0.98× of one (median of 10 paired
     * rounds, 0.64-1.16×): producers in step refill one batch anyway, and
     * the overlapping statement needs a NOTIFY transaction of its own.
     */
    private readonly maxInFlight = 1,
  ) {}

  /**
   * Sends one message as part of the next statement for its queue. Invalid
   * input rejects this call alone, naming the field as a lone send() does.
   */
  send(queue: string, message: OutgoingMessage): Promise<{ id: string; duplicate: boolean }> {
    let columns: MessageColumns;
    try {
      columns = toMessageColumns(message);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      let lane = this.lanes.get(queue);
      if (!lane) {
        lane = { pending: [], inFlight: 0, scheduled: false };
        this.lanes.set(queue, lane);
      }
      lane.pending.push({ columns, resolve, reject });
      this.schedule(queue, lane);
    });
  }

  /** Resolves when no send is pending or in flight (used on shutdown). */
  async drain(): Promise<void> {
    while (this.lanes.size > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private schedule(queue: string, lane: Lane): void {
    if (lane.scheduled || lane.inFlight >= this.maxInFlight) return;
    lane.scheduled = true;
    // setImmediate, not a microtask: it runs once the promise chains woken by
    // the same socket read have all run, however deep, so producers whose
    // previous sends committed together call again into one statement.
    setImmediate(() => {
      lane.scheduled = false;
      this.flush(queue, lane);
    });
  }

  // No maxInFlight check here: inFlight rises only in flush. The one flush
  // schedule() queues per lane was queued below the limit, and each write
  // ending before it runs frees a place before refilling at most one; the
  // flush after a write runs in the place that write just freed.
  private flush(queue: string, lane: Lane): void {
    if (lane.pending.length === 0) return;
    const batch = lane.pending.splice(0, MAX_BATCH);
    lane.inFlight++;
    void this.write(queue, batch).finally(() => {
      lane.inFlight--;
      if (lane.pending.length > 0) this.flush(queue, lane);
      else if (lane.inFlight === 0 && !lane.scheduled) this.forget(queue);
    });
  }

  private forget(queue: string): void {
    this.lanes.delete(queue);
    if (this.lanes.size > 0) return;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  /**
   * One statement for the batch. If Postgres rejects it, the statement rolled
   * back whole, so nothing was stored: the batch is split in halves and each
   * half tried again, until every bad message stands alone and fails its own
   * caller, while its neighbours are stored (about 2·log2(n) statements for
   * one bad message in n, not n).
   */
  private async write(queue: string, batch: PendingSend[]): Promise<void> {
    try {
      const result = await this.notifier.runStatement(queue, (notifyInStatement) =>
        insertMessages(
          this.db,
          queue,
          batch.map((b) => b.columns),
          { schema: this.schema, notifyInStatement },
        ),
      );
      const duplicates = new Set(result.duplicates);
      batch.forEach((b, i) => {
        b.resolve({ id: result.ids[i] as string, duplicate: duplicates.has(i) });
      });
    } catch (error) {
      if (batch.length === 1 || !isRolledBack(error)) {
        for (const b of batch) b.reject(error);
        return;
      }
      // One half after the other, so ids keep the order of the calls.
      const half = batch.length >> 1;
      await this.write(queue, batch.slice(0, half));
      await this.write(queue, batch.slice(half));
    }
  }
}

/**
 * Whether the statement certainly did not commit and the fault may lie with
 * one message: an ERROR that Postgres answered for the statement (pg's
 * DatabaseError, duck-typed so a caller's own copy of pg works too). A FATAL,
 * or a connection lost before the answer, may come after the commit, and
 * trying again could store messages twice; an unknown queue
 * (QueueNotFoundError) fails every message alike. Those reject the batch.
 */
function isRolledBack(error: unknown): boolean {
  // The queue's limits, raised inside the statement (40-send.sql): a message too large fails alone.
  if (error instanceof MessageTooLargeError || error instanceof QueueFullError) return true;
  const { severity, code } = (error ?? {}) as { severity?: unknown; code?: unknown };
  return severity === 'ERROR' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
