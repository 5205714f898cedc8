import { Postbox } from 'postbox';

/**
 * What a Nest app injects to talk to Postbox: the core `Postbox` itself,
 * provided by PostboxModule (one per module instance), with every method of
 * the library — nothing re-wrapped. Inject it as `Postbox` or, as apps
 * written for 0.1 do, as `PostboxClient`: the same class, the same instance.
 */
export const PostboxClient = Postbox;
export type PostboxClient = Postbox;
