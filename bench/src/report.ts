import Table from 'cli-table3';

/** One number per peer for one metric; `higherIsBetter` decides what "best" means. */
export interface MetricRow {
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  values: Record<string, number | undefined>;
  /** Compare Postbox against this peer only (e.g. drain vs graphile-worker); default the best peer. */
  against?: string;
}

export interface TargetRow {
  target: string;
  measured: string;
  met: boolean | null;
  note?: string;
}

export function format(value: number | undefined, unit = ''): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })}${unit}`;
}

/** Postbox ÷ the best peer (or ÷ `against`), so > 1 always means Postbox is better. */
export function ratioAgainstPeers(row: MetricRow): { ratio: number | undefined; peer: string | undefined } {
  const ours = row.values.postbox;
  const candidates = Object.entries(row.values).filter(
    ([name, v]) =>
      !name.startsWith('postbox') && v !== undefined && !Number.isNaN(v) && (!row.against || name === row.against),
  ) as [string, number][];
  if (ours === undefined || candidates.length === 0) return { ratio: undefined, peer: undefined };
  const [peer, best] = candidates.reduce((a, b) => ((row.higherIsBetter ? b[1] > a[1] : b[1] < a[1]) ? b : a));
  return { peer, ratio: row.higherIsBetter ? ours / best : best / ours };
}

export function resultsTable(rows: MetricRow[], peers: string[]): string {
  const table = new Table({ head: ['workload', ...peers, 'postbox vs best peer'], style: { head: [], border: [] } });
  for (const row of rows) {
    const { ratio, peer } = ratioAgainstPeers(row);
    table.push([
      `${row.metric} (${row.unit})`,
      ...peers.map((p) => format(row.values[p])),
      ratio === undefined ? '—' : `${format(ratio)}× (${peer})`,
    ]);
  }
  return table.toString();
}

export function targetsTable(rows: TargetRow[]): string {
  const table = new Table({ head: ['target', 'measured', 'met'], style: { head: [], border: [] } });
  for (const row of rows) {
    table.push([
      row.target,
      row.measured,
      row.met === null ? `n/a${row.note ? ` (${row.note})` : ''}` : row.met ? 'met' : 'NOT met',
    ]);
  }
  return table.toString();
}

/** The same tables as GitHub markdown, for docs/performance.md. */
export function markdown(rows: MetricRow[], peers: string[], targets: TargetRow[]): string {
  const lines = [
    `| workload | ${peers.join(' | ')} | postbox vs best peer |`,
    `|---|${peers.map(() => '---:|').join('')}---|`,
  ];
  for (const row of rows) {
    const { ratio, peer } = ratioAgainstPeers(row);
    lines.push(
      `| ${row.metric} (${row.unit}) | ${peers.map((p) => format(row.values[p])).join(' | ')} | ${ratio === undefined ? '—' : `${format(ratio)}× (${peer})`} |`,
    );
  }
  lines.push('', '| target | measured | met |', '|---|---|---|');
  for (const t of targets)
    lines.push(
      `| ${t.target} | ${t.measured} | ${t.met === null ? `n/a${t.note ? ` (${t.note})` : ''}` : t.met ? 'met' : '**not met**'} |`,
    );
  return lines.join('\n');
}
