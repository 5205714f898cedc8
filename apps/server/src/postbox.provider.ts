import type { Postbox } from 'postbox';

/**
 * Injection token of the process's Postbox client. Feature modules inject it:
 * `constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}`.
 * It is provided globally by ServerCoreModule; the Postbox is created (and
 * closed) by whoever builds the app: main.ts, or a test.
 */
export const POSTBOX = Symbol('POSTBOX');

/** Injection token of the ServerOptions the app was built with. */
export const SERVER_OPTIONS = Symbol('SERVER_OPTIONS');

export type { Postbox };
