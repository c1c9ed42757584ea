import { expect } from 'vitest';

/**
 * Asserts an RFC 9457 problem response: the content type, every member the contract requires, and
 * the typed members given in `expected`. Returns the body for further checks.
 */
export async function expectProblem(
  res: Response,
  status: number,
  code: string,
  expected: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, any>;
  expect(body).toMatchObject({
    type: `https://palisade.dev/problems/${code.replaceAll('_', '-')}`,
    status,
    code,
    ...expected,
  });
  for (const member of ['type', 'title', 'detail', 'action']) {
    expect(typeof body[member], `problem member ${member}`).toBe('string');
  }
  expect(text).not.toMatch(/at .+\.(ts|js):\d+/);
  return body;
}
