import type { Executor } from '../database/database';
import { ConflictError } from '../errors';
import { type CheckAnswer, callCheckbackUrl, isCheckAnswer } from './call-checkback-url';
import { type CheckbackAllow, type CheckbackDestinationPolicy, checkbackPolicy } from './checkback-destination';
import { claimDueChecks } from './claim-due-checks';
import { commitTransaction } from './commit';
import { rollbackTransaction } from './rollback';
import { scheduleNextCheck } from './schedule-next-check';
import type { TransactionInfo } from './transaction';

/** An in-process check-back: the producer's own code says what became of a transaction. */
export type TransactionChecker = (transaction: TransactionInfo) => CheckAnswer | Promise<CheckAnswer>;

/** What one check did, for logs and metrics. */
export interface CheckEvent {
  transactionId: string;
  /** The check's number (1 = first). */
  check: number;
  via: 'url' | 'checker' | 'none';
  answer?: CheckAnswer;
  error?: string;
  /** What the check did to the transaction. */
  outcome: 'committed' | 'rolledBack' | 'retrying' | 'expired' | 'alreadyResolved' | 'stale';
}

export interface CheckbackRunnerOptions {
  db: Executor;
  schema?: string;
  /** The in-process checker for a queue or topic name, if this process registered one. */
  checkerFor?: (target: string) => TransactionChecker | undefined;
  /** How often to look for due checks while none are due. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Checks claimed (and run concurrently) per round. Default 10. */
  batchSize?: number;
  /** A check (HTTP call or checker) that takes longer failed. Default 10000 ms. */
  checkTimeoutMs?: number;
  /** How long a claimed check is this runner's before another may take it. Default checkTimeoutMs + 20000. */
  leaseMs?: number;
  /**
   * Internal destinations the check-back may call (hosts, IPs, CIDRs; see
   * checkback-destination.ts). By default loopback, private, link-local
   * (metadata) and other non-public addresses are refused.
   */
  checkbackAllow?: CheckbackAllow | CheckbackDestinationPolicy;
  onError?: (error: unknown) => void;
  onCheck?: (event: CheckEvent) => void;
}

/**
 * Resolves half messages whose producer went quiet (RocketMQ's transaction
 * check-back). Each round claims due transactions (SKIP LOCKED plus a lease,
 * so runners in several processes never check one transaction at once), asks
 * the producer (POST to checkbackUrl, or the registered in-process checker),
 * and applies the answer: commit, rollback, or on unknown/failure/timeout a
 * retry with backoff until maxChecks, then expiry. All state is in Postgres:
 * a runner that restarts (or another instance) picks up where it stopped.
 */
export class CheckbackRunner {
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly checkTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly policy: CheckbackDestinationPolicy;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** Counters for tests, logs and metrics. */
  readonly stats = { checks: 0, committed: 0, rolledBack: 0, retrying: 0, expired: 0 };

  constructor(private readonly options: CheckbackRunnerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 10;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 10_000;
    this.leaseMs = options.leaseMs ?? this.checkTimeoutMs + 20_000;
    this.policy = checkbackPolicy(options.checkbackAllow);
  }

  get running(): boolean {
    return this.loop !== null && !this.stopping;
  }

  start(): this {
    if (this.loop) return this;
    this.stopping = false;
    this.loop = this.run();
    return this;
  }

  /** Stops claiming; checks under way finish (bounded by checkTimeoutMs). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (claimed < this.batchSize && !this.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollIntervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /** One round: claims due checks and runs them. Returns how many it claimed. */
  async runOnce(): Promise<number> {
    const due = await claimDueChecks(this.options.db, this.batchSize, {
      schema: this.options.schema,
      leaseMs: this.leaseMs,
    });
    await Promise.all(due.map((transaction) => this.check(transaction)));
    return due.length;
  }

  private async check(transaction: TransactionInfo): Promise<void> {
    const target = (transaction.queue ?? transaction.topic) as string;
    const checker = transaction.checkbackUrl ? undefined : this.options.checkerFor?.(target);
    const via = transaction.checkbackUrl ? 'url' : checker ? 'checker' : 'none';
    const event: Omit<CheckEvent, 'outcome'> = {
      transactionId: transaction.transactionId,
      check: transaction.checks,
      via,
    };
    this.stats.checks++;
    let answer: CheckAnswer;
    try {
      if (transaction.checkbackUrl) {
        answer = await callCheckbackUrl(transaction.checkbackUrl, transaction, this.checkTimeoutMs, this.policy);
      } else if (checker) {
        answer = await withTimeout(Promise.resolve(checker(transaction)), this.checkTimeoutMs);
        if (!isCheckAnswer(answer)) throw new Error(`checker answered ${JSON.stringify(answer)}`);
      } else {
        throw new Error(`no checkbackUrl and no checker registered for "${target}" in this process`);
      }
    } catch (error) {
      await this.unresolved(transaction, { ...event, error: shortReason(error) });
      return;
    }
    event.answer = answer;
    if (answer === 'unknown') {
      await this.unresolved(transaction, { ...event, error: 'the producer answered unknown' });
      return;
    }
    const resolveOptions = { schema: this.options.schema, resolvedBy: 'checkback' as const };
    try {
      if (answer === 'commit') await commitTransaction(this.options.db, transaction.transactionId, resolveOptions);
      else await rollbackTransaction(this.options.db, transaction.transactionId, resolveOptions);
      const outcome = answer === 'commit' ? 'committed' : 'rolledBack';
      this.stats[outcome]++;
      this.options.onCheck?.({ ...event, outcome });
    } catch (error) {
      if (error instanceof ConflictError) {
        // The producer resolved it the other way meanwhile; its call wins.
        this.options.onCheck?.({ ...event, outcome: 'alreadyResolved' });
        return;
      }
      await this.unresolved(transaction, { ...event, error: shortReason(error) });
    }
  }

  private async unresolved(transaction: TransactionInfo, event: Omit<CheckEvent, 'outcome'>): Promise<void> {
    try {
      const outcome = await scheduleNextCheck(
        this.options.db,
        transaction.transactionId,
        transaction.checks,
        event.error ?? 'unresolved',
        { schema: this.options.schema },
      );
      if (outcome !== 'stale') this.stats[outcome]++;
      this.options.onCheck?.({ ...event, outcome });
    } catch (error) {
      // Left as it is, the claim's lease runs out and the check is retried.
      this.options.onError?.(error);
    }
  }
}

/**
 * What lastError keeps of a failed check: the message only. lastError is
 * shown over REST; a stack names the server's files (the stack of an
 * in-process checker's error is the checker's business: onCheck has it).
 */
function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`checker did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
