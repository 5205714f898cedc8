import {
  createKey,
  listKeys,
  listTransactions,
  type MessageState,
  Postbox,
  type PurgeState,
  revokeKey,
  type TransactionState,
} from 'postbox';
import type { Json, Target } from './target';

/** Dates become ISO strings, as the REST API shows them: commands print one shape in both modes. */
const json = (value: unknown): Json => JSON.parse(JSON.stringify(value));

/**
 * PostgreSQL directly, through the `postbox` package's public API. No
 * background maintenance and no listener: a CLI run is short, and the
 * service (or the app) does the housekeeping.
 */
export async function openDirectTarget(connectionString: string, schema: string): Promise<Target> {
  const postbox = await Postbox.create({ connectionString, schema, maintenance: false, maxConnections: 4 });
  const opts = { schema };
  return {
    mode: 'direct',
    where: 'DATABASE_URL',
    listQueues: async () => json(await postbox.listQueues()),
    getQueue: async (name) => json(await postbox.getQueueStats(name)),
    peek: async (queue, state, limit) => {
      const found = json(await postbox.peek(queue, state as MessageState, limit));
      if (found.length === 0) await postbox.getQueue(queue); // 404 for an unknown queue, as REST
      return found;
    },
    tail: async (queue, after, limit) => {
      const found = json(await postbox.tail(queue, after, limit));
      if (found.length === 0) await postbox.getQueue(queue);
      return found;
    },
    sendBatch: (queue, messages) => postbox.sendBatch(queue, messages),
    redrive: async (queue, ids) => {
      const redriven = await postbox.redrive(queue, ids === 'all' ? undefined : ids);
      if (redriven === 0) await postbox.getQueue(queue);
      return redriven;
    },
    replayQueue: async (queue, from) => (await postbox.replay(queue, { from })).replayed,
    replayTopic: async (topic, group, from) => (await postbox.replay(topic, group, { from })).replayed,
    listTransactions: async (state, limit) =>
      json(await listTransactions(postbox.db, { ...opts, state: state as TransactionState | undefined, limit })),
    getTransaction: async (id) => json(await postbox.getTransaction(id)),
    commitTransaction: async (id) => void (await postbox.commitTransaction(id)),
    rollbackTransaction: async (id) => void (await postbox.rollbackTransaction(id)),
    createKey: async (name, scopes, names) =>
      json(await createKey(postbox.db, { name, scopes: scopes as never, names }, opts)),
    listKeys: async () => json(await listKeys(postbox.db, opts)),
    revokeKey: async (name) => {
      if (!(await revokeKey(postbox.db, name, opts))) throw new Error(`API key "${name}" does not exist`);
    },
    purge: (queue, states) => postbox.purgeQueue(queue, states as PurgeState[]),
    pause: async (queue) => json(await postbox.pauseQueue(queue)),
    resume: async (queue) => json(await postbox.resumeQueue(queue)),
    // The task runs in this process (the CLI waits for it); if the CLI dies, any
    // process's maintenance takes it over when its lease runs out.
    move: async (queue, to) => ({ taskId: await postbox.moveDeadLetters(queue, to ? { to } : {}) }),
    task: async (taskId) => json(await postbox.getTask(taskId)),
    listSchedules: async () => json(await postbox.listSchedules()),
    getSchedule: async (name) => json(await postbox.getSchedule(name)),
    createSchedule: async ({ name, ...input }) => json((await postbox.createSchedule(name, input)).schedule),
    pauseSchedule: async (name) => json(await postbox.pauseSchedule(name)),
    resumeSchedule: async (name) => json(await postbox.resumeSchedule(name)),
    deleteSchedule: async (name) => {
      if (!(await postbox.deleteSchedule(name))) throw new Error(`schedule "${name}" does not exist`);
    },
    close: () => postbox.close(),
  };
}
