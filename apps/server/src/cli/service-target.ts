import type { Json, OutgoingJson, Target } from './target';

/** A REST answer that is not 2xx, as one line: "404 Not Found: queue "x" does not exist". */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The service over REST (API.md), with the key as a bearer token. */
export function openServiceTarget(url: string, key: string | undefined): Target {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new Error(`--url: "${url}" is not a URL`);
  }
  const root = base.toString().replace(/\/+$/, '');
  const q = encodeURIComponent;
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach ${root}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const reason = parsed?.message ?? (text.slice(0, 200) || res.statusText);
      throw new ServiceError(
        res.status,
        `${res.status} ${parsed?.error ?? res.statusText}: ${[reason].flat().join('; ')}`,
      );
    }
    return parsed;
  };
  const queue = (name: string) => `/v1/queues/${q(name)}`;
  return {
    mode: 'service',
    where: root,
    listQueues: () => call('GET', '/v1/queues'),
    getQueue: (name) => call('GET', queue(name)),
    peek: async (name, state, limit) =>
      (await call('GET', `${queue(name)}/messages?state=${q(state)}&limit=${limit}`)).messages,
    tail: async (name, after, limit) =>
      (await call('GET', `${queue(name)}/tail?limit=${limit}${after ? `&after=${q(after)}` : ''}`)).messages,
    sendBatch: async (name, messages: OutgoingJson[]) => {
      // The answer lists duplicates only when there were some.
      const { ids, duplicates = [] } = await call('POST', `${queue(name)}/messages`, { messages });
      return { ids, duplicates };
    },
    redrive: async (name, ids) =>
      (await call('POST', `${queue(name)}/redrive`, ids === 'all' ? { all: true } : { ids })).redriven,
    replayQueue: async (name, from) => (await call('POST', `${queue(name)}/replay`, { from })).replayed,
    replayTopic: async (topic, group, from) =>
      (await call('POST', `/v1/topics/${q(topic)}/subscriptions/${q(group)}/replay`, { from })).replayed,
    listTransactions: (state, limit) =>
      call('GET', `/v1/transactions?${new URLSearchParams({ ...(state ? { state } : {}), limit: String(limit) })}`),
    getTransaction: (id) => call('GET', `/v1/transactions/${q(id)}`),
    commitTransaction: async (id) => void (await call('POST', `/v1/transactions/${q(id)}/commit`)),
    rollbackTransaction: async (id) => void (await call('POST', `/v1/transactions/${q(id)}/rollback`)),
    createKey: (name, scopes, names) => call('POST', '/v1/keys', { name, scopes, ...(names ? { names } : {}) }),
    listKeys: () => call('GET', '/v1/keys'),
    revokeKey: async (name) => void (await call('DELETE', `/v1/keys/${q(name)}`)),
    purge: async (name, states) => (await call('POST', `${queue(name)}/purge`, { states })).purged,
    pause: (name) => call('POST', `${queue(name)}/pause`),
    resume: (name) => call('POST', `${queue(name)}/resume`),
    move: (name, to) => call('POST', `${queue(name)}/move`, to ? { to } : {}),
    task: (taskId) => call('GET', `/v1/tasks/${q(taskId)}`),
    listSchedules: () => call('GET', '/v1/schedules'),
    getSchedule: (name) => call('GET', `/v1/schedules/${q(name)}`),
    createSchedule: (schedule) => call('POST', '/v1/schedules', schedule),
    pauseSchedule: (name) => call('POST', `/v1/schedules/${q(name)}/pause`),
    resumeSchedule: (name) => call('POST', `/v1/schedules/${q(name)}/resume`),
    deleteSchedule: async (name) => void (await call('DELETE', `/v1/schedules/${q(name)}`)),
    close: async () => {},
  };
}
