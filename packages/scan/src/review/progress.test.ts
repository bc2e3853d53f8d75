import { describe, expect, it } from 'vitest';
import { createProgressBar, PROGRESS_MIN_FILES } from './progress.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 80, write: (chunk: string) => chunks.push(chunk) > 0 };
}

describe('progress bar', () => {
  it('draws nothing off a TTY or for small reviews', () => {
    const pipe = stream(false);
    expect(createProgressBar(pipe, 1000)).toBeUndefined();
    expect(createProgressBar(stream(true), PROGRESS_MIN_FILES)).toBeUndefined();
    expect(pipe.chunks).toEqual([]);
  });

  it('on a TTY redraws once per whole percent and clears its line at the end', () => {
    const tty = stream(true);
    const bar = createProgressBar(tty, 1000);
    for (let done = 1; done <= 1000; done++) bar?.update(done, 1000);
    bar?.finish();
    expect(tty.chunks.length).toBe(102); // 0% … 100%, then the clear
    expect(tty.chunks.at(-2)).toMatch(/^\rrampart review \[#+\] 100% 1000\/1000 files$/);
    expect(tty.chunks.at(-1)).toBe('\r\u001b[2K');
  });
});
