import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  /** Adds `n` done (and sets the total when it became known). */
  add(n: number, total?: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr for long work (send of a file, a move): done /
 * total, rate per second and ETA. cli-progress: maintained, no native code,
 * redraws in place on a terminal and prints a line every second otherwise.
 * Shown when stderr is a terminal or with --progress; --json runs and pipes
 * stay clean unless asked.
 */
export function startProgress(label: string, total: number | undefined, enabled: boolean): Progress {
  if (!enabled) return { add() {}, stop() {} };
  const started = performance.now();
  let done = 0;
  const known = total !== undefined;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: known
        ? `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`
        : `${label} {value} | {rate}/s | {duration_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 1_000,
      etaBuffer: 50,
      fps: 10,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { rate: '0' });
  const rate = () => Math.round(done / Math.max(0.001, (performance.now() - started) / 1000)).toLocaleString('en-US');
  return {
    add(n, newTotal) {
      done += n;
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(done, { rate: rate() });
    },
    stop() {
      bar.update(done, { rate: rate() });
      bar.stop();
    },
  };
}

/** --progress forces the bar, --no-progress hides it; by default: when stderr is a terminal and not --json. */
export function progressWanted(options: { progress?: boolean; json?: boolean }): boolean {
  if (options.progress !== undefined) return options.progress;
  return Boolean(process.stderr.isTTY) && !options.json;
}
