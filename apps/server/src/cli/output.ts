import Table from 'cli-table3';

/**
 * Tables for people (cli-table3: the most used, maintained table renderer,
 * handles wide unicode and wrapping), JSON for scripts (--json): the same
 * data either way.
 */
export function printTable(head: string[], rows: (string | number)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(String));
  process.stdout.write(`${table.toString()}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `data` as JSON with --json, else as the table `rows` makes of it. */
export function print<T>(json: boolean | undefined, data: T, head: string[], rows: (data: T) => (string | number)[][]) {
  if (json) printJson(data);
  else printTable(head, rows(data));
}

/** A line for people (stdout), or the object for scripts (--json). */
export function report(json: boolean | undefined, data: unknown, line: string): void {
  if (json) printJson(data);
  else process.stdout.write(`${line}\n`);
}

/** "2 h 5 min", "3.2 s", "—": ages and durations in a table cell. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** A body in one table cell: compact JSON, cut at `max` characters. */
export function shortJson(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Numbers the way people read them: 1,000,000. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** The one-line reason printed for a bad option, exit code 1 (main.ts). */
export class UsageError extends Error {}

/** A comma-separated option value, each item checked against `allowed`. */
export function list(value: string, name: string, allowed?: readonly string[]): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`${name}: give at least one value`);
  for (const item of items) {
    if (allowed && !allowed.includes(item))
      throw new UsageError(`${name}: "${item}" is not one of ${allowed.join(', ')}`);
  }
  return items;
}

/** A whole number option within bounds. */
export function integer(value: string, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name}: must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
