import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { HttpResponse } from '../http-types';

export interface LongPoll {
  signal: AbortSignal;
  /** The client closed the connection before we answered: nothing we claim can reach it. */
  readonly clientGone: boolean;
}

/**
 * Tracks the receive calls that are waiting, so a client that hangs up stops
 * its wait at once (instead of holding a slot for up to 30 s), and so
 * shutdown can end every wait and answer it before the server closes.
 */
@Injectable()
export class LongPolls implements OnModuleDestroy {
  private readonly waiting = new Map<AbortController, Promise<void>>();

  /** Receives waiting right now (for tests and shutdown). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  start(res: HttpResponse): LongPoll {
    const controller = new AbortController();
    let clientGone = false;
    const closed = new Promise<void>((resolve) => {
      res.once('close', () => {
        if (!res.writableFinished) {
          clientGone = true;
          controller.abort();
        }
        this.waiting.delete(controller);
        resolve();
      });
    });
    this.waiting.set(controller, closed);
    return {
      signal: controller.signal,
      get clientGone() {
        return clientGone;
      },
    };
  }

  /** Shutdown: every waiting receive answers now with what it has (usually nothing). */
  async onModuleDestroy(): Promise<void> {
    for (const controller of this.waiting.keys()) controller.abort();
    const answered = Promise.all(this.waiting.values());
    await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
}
