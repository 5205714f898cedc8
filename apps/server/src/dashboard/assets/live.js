// Live state: the samples the service pushes (SSE) and the hour of history it kept.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, q, stream } from './api.js';

const MAX_POINTS = 720;
/** `catalog`: queue settings and topics with their groups, from the latest sample that had them. */
export const live = { sample: null, catalog: null, points: [], connected: false, sampleMs: 5000 };
const listeners = new Set();
const notify = () => {
  for (const listener of listeners) listener();
};

/** Re-renders the caller on every sample. */
export function useLive() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return live;
}

function keepHistory(history) {
  live.sampleMs = history.sampleMs;
  const newer = live.points.filter((p) => p.at > (history.points.at(-1)?.at ?? 0));
  live.points = [...history.points, ...newer].slice(-MAX_POINTS);
  notify();
}

/**
 * Signing in reads the kept history: it needs the same `read` scope as the
 * pages and answers from the service's memory (GET /v1/queues would count).
 */
export async function loadHistory() {
  keepHistory(await api('GET', '/v1/dashboard/history'));
}

export function startLive() {
  const controller = new AbortController();
  if (live.points.length === 0) loadHistory().catch(() => {});
  stream(
    'v1/dashboard/events',
    (event, data) => {
      if (event !== 'sample') return;
      live.sample = data;
      live.receivedAt = Date.now();
      if (data.catalog) live.catalog = data.catalog;
      if (!data.error && live.points.at(-1)?.at !== data.total.at)
        live.points = [...live.points, data.total].slice(-MAX_POINTS);
      notify();
    },
    (connected) => {
      live.connected = connected;
      notify();
    },
    controller.signal,
  );
  return () => controller.abort();
}

/** One queue's depth over the last hour: the kept history, then each new sample. */
export function useQueueHistory(name) {
  const state = useLive();
  const [points, setPoints] = useState([]);
  useEffect(() => {
    setPoints([]);
    api('GET', `/v1/dashboard/history?queue=${q(name)}`)
      .then((h) => setPoints(h.points))
      .catch(() => {});
  }, [name]);
  const current = state.sample?.queues.find((x) => x.name === name);
  const at = state.sample?.at;
  useEffect(() => {
    if (!current || at === undefined) return;
    setPoints((list) => (list.at(-1)?.at === at ? list : [...list, { at, ...current }].slice(-MAX_POINTS)));
  }, [at]);
  return points;
}

/** GET a path; `reload()` reads it again. Keeps the last answer while reloading (no flash of "loading"). */
export function useApi(path) {
  const [result, setResult] = useState({ data: undefined, error: null, loaded: false });
  const load = useCallback(() => {
    if (!path) return Promise.resolve();
    return api('GET', path)
      .then((data) => setResult({ data, error: null, loaded: true }))
      .catch((error) => setResult((r) => ({ data: r.data, error, loaded: true })));
  }, [path]);
  useEffect(() => {
    setResult({ data: undefined, error: null, loaded: false });
    load();
  }, [load]);
  return { ...result, reload: load };
}
