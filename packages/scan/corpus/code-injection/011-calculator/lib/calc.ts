export function evaluate(expression: string): number {
  return Function(`"use strict"; return (${expression});`)() as number;
}
