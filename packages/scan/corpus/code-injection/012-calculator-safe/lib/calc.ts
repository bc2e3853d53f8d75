export function evaluate(expression: string): number {
  if (!/^[\d+\-*/(). ]{1,100}$/.test(expression)) throw new Error('not an arithmetic expression');
  return Function(`"use strict"; return (${expression});`)() as number;
}
