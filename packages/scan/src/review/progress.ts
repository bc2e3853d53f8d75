/** Where a progress bar draws: a terminal stream (`process.stderr`), or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): boolean;
}

/** Reviews of fewer files than this finish too fast for a bar to help. */
export const PROGRESS_MIN_FILES = 200;

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Clears the bar's line so the report starts on a clean one. */
  finish(): void;
}

/**
 * A one-line progress bar for long reviews, or undefined when there should be none: only on a TTY (a bar's carriage
 * returns would litter a CI log or a redirected file) and only above `PROGRESS_MIN_FILES` files. It redraws only when
 * the whole percentage changes, so a fast review does not spend its time on the terminal.
 */
export function createProgressBar(stream: ProgressStream, files: number): ProgressBar | undefined {
  if (stream.isTTY !== true || files <= PROGRESS_MIN_FILES) return undefined;
  let shown = -1;
  let drawn = false;
  return {
    update(done, total) {
      const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
      if (percent === shown) return;
      shown = percent;
      const label = ` ${done}/${total} files`;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 20));
      const filled = Math.round((width * percent) / 100);
      stream.write(`\rrampart review [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%${label}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\u001b[2K');
    },
  };
}
