import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { validationProblem, validationProblemBody } from './problem.js';

describe('validationProblem', () => {
  const schema = compile(
    Type.Object({ name: Type.String({ maxLength: 8, pattern: '^[a-z]{1,8}$' }), tags: Type.Array(Type.String({ maxLength: 4 }), { maxItems: 2 }) }),
    { reportAllIssues: true },
  );

  it('attack: the problem body never echoes the value, undeclared names, messages or schema internals', () => {
    const hostile = '<script>alert(1)</script>';
    const result = schema.check({ name: hostile, tags: [hostile], [hostile]: hostile });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const body = validationProblemBody(validationProblem(result.issues), 'corr-1');
    const text = JSON.stringify(body);
    expect(text).not.toContain('script');
    expect(text).not.toContain('^[a-z]');
    expect(text).not.toContain('#/properties');
    expect(body).toEqual({
      type: 'https://rampart.dev/problems/validation',
      title: 'Bad Request',
      status: 400,
      detail: 'The request does not match the schema of this endpoint.',
      code: 'validation.failed',
      correlationId: 'corr-1',
      errors: [
        { pointer: '', rule: 'additionalProperties' },
        { pointer: '/name', rule: 'maxLength' },
        { pointer: '/name', rule: 'pattern' },
        { pointer: '/tags/0', rule: 'maxLength' },
      ],
    });
  });

  it('answers 422 when asked, and caps the list', () => {
    const issues = Array.from({ length: 50 }, (_, index) => ({ pointer: `/${index}`, rule: 'type' }));
    const problem = validationProblem(issues, { status: 422, maxIssues: 3 });
    expect(problem).toMatchObject({ status: 422, title: 'Unprocessable Content', code: 'validation.failed' });
    expect(problem.errors).toHaveLength(3);
  });
});
