import { Inject, Injectable } from '@nestjs/common';
import { anyKeyExists } from 'postbox';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

/**
 * Once keys are seen, anonymous requests are refused for this long without
 * asking the database again (fails closed: a last revoked key reopens dev
 * mode only after it).
 */
const KEYS_EXIST_MEMORY_MS = 5_000;

/**
 * "No keys" is remembered for 1 s, so that dev mode (the benchmark's, the
 * first `npm start`'s) does not pay a query on every request. The cost: the
 * first key ever created closes its own instance at once (keyCreated()) and
 * every other instance within 1 s. Revocation has no such window: stored keys
 * are verified against the database on every request.
 */
const NO_KEYS_MEMORY_MS = 1_000;

/** Whether auth is on: POSTBOX_API_KEY set, or any key stored. Off means dev mode: every route open. */
@Injectable()
export class AuthMode {
  private answer: { on: boolean; at: number } | null = null;

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) private readonly options: ServerOptions,
  ) {}

  async on(): Promise<boolean> {
    if (this.options.apiKey !== null) return true;
    const now = Date.now();
    if (this.answer && now - this.answer.at < (this.answer.on ? KEYS_EXIST_MEMORY_MS : NO_KEYS_MEMORY_MS)) {
      return this.answer.on;
    }
    let on: boolean;
    try {
      on = await anyKeyExists(this.postbox.db, { schema: this.postbox.schema });
    } catch (error) {
      // Database unreachable: the last answer stands; with none, fail closed (the 503 of the error filter).
      // Never open on an error: an attacker who exhausts the pool would walk in.
      if (this.answer && !this.answer.on) return false;
      throw error;
    }
    this.answer = { on, at: Date.now() };
    return on;
  }

  /** A stored key was verified or created here: auth is on. */
  keysSeen(): void {
    this.answer = { on: true, at: Date.now() };
  }
}
