// Numbers, durations and times as people read them.
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

export const num = (n) =>
  n === null || n === undefined ? '–' : Math.abs(n) >= 10_000 ? compact.format(n) : whole.format(n);
export const exact = (n) => (n === null || n === undefined ? '–' : whole.format(n));
export const rate = (n) => (n === null || n === undefined ? '–' : n >= 100 ? compact.format(Math.round(n)) : String(n));

export function age(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function ago(iso) {
  if (!iso) return '–';
  const diff = Date.now() - new Date(iso).getTime();
  return diff >= 0 ? `${age(diff)} ago` : `in ${age(-diff)}`;
}

export function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

export const STATES = ['ready', 'delayed', 'inFlight', 'dead'];
export const STATE_LABEL = { ready: 'Ready', delayed: 'Delayed', inFlight: 'In flight', dead: 'Dead letters' };
export const COLORS = {
  ready: '#3b82f6',
  delayed: '#f59e0b',
  inFlight: '#8b5cf6',
  dead: '#ef4444',
  sent: '#0ea5e9',
  acked: '#10b981',
  deadLettered: '#ef4444',
  age: '#64748b',
};

/** A schedule's next tick: "in 3 min", or "due" once its time has passed (a runner picks it up within a second). */
export const nextTick = (iso) => (!iso ? 'soon' : new Date(iso).getTime() <= Date.now() ? 'due now' : ago(iso));
