import { type Postbox, PostboxError } from 'postbox';
import type { AuthRequest } from './key-principal';

/**
 * Where a route's queue/topic names come from, for a key limited by a names
 * glob. `'all'` means the route needs a key that covers every name (the keys
 * routes, or input whose name is not a plain string: deny, then let
 * validation answer the unrestricted keys).
 */
export type RouteNames = readonly string[] | 'all';
export type NameSource = (req: AuthRequest, postbox: Postbox) => RouteNames | Promise<RouteNames>;

function namesIn(values: readonly unknown[]): RouteNames {
  const names: string[] = [];
  for (const value of values) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return 'all';
    names.push(value);
  }
  return names;
}

function bodyField(req: AuthRequest, field: string): unknown {
  const body = req.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)[field]
    : undefined;
}

/** The default: the `:queue` / `:topic` route parameters (none on list routes, which filter instead). */
export const routeParamNames: NameSource = (req) => namesIn([req.params.queue, req.params.topic]);

/** POST /v1/queues, POST /v1/topics: the `name` being created. */
export const bodyNameField: NameSource = (req) => namesIn([bodyField(req, 'name')]);

/**
 * POST /v1/topics/:topic/subscriptions: the topic, and the queue the group
 * will consume from (`queue` when given, else `<topic>.<group>`), so a
 * limited key cannot point a subscription at a queue outside its glob.
 */
export const subscriptionTarget: NameSource = (req) => {
  const { topic } = req.params;
  const group = bodyField(req, 'group');
  const queue = bodyField(req, 'queue') ?? (typeof group === 'string' ? `${topic}.${group}` : group);
  return namesIn([topic, queue]);
};

/** POST /v1/transactions: the `queue` or `topic` the half message is for. */
export const preparedTarget: NameSource = (req) => namesIn([bodyField(req, 'queue'), bodyField(req, 'topic')]);

/**
 * /v1/transactions/:id…: the queue or topic stored with the half message.
 * An unknown or malformed id checks nothing here: the handler answers its
 * 404/400 and there is nothing behind it to protect.
 */
export const storedTransactionTarget: NameSource = async (req, postbox) => {
  try {
    const transaction = await postbox.getTransaction(req.params.id ?? '');
    return namesIn([transaction.queue, transaction.topic]);
  } catch (error) {
    if (error instanceof PostboxError) return []; // unknown or malformed id
    throw error;
  }
};

/** The keys routes: a key limited to some names may not mint or revoke keys. */
export const everyName: NameSource = () => 'all';
