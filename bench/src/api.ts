import { TokenResponse } from '@cheesecake/contracts';

/** A status and a parsed JSON body (undefined when there is none). */
export interface Answer {
  status: number;
  body: unknown;
}

/** Calls `url` with an optional bearer token and JSON body, and reads the JSON answer. */
export async function call(
  url: string,
  options: { method?: string; token?: string; authorization?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.authorization) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Like {@link call}, but throws unless the answer has the `expected` status. */
export async function expectCall(
  expected: number,
  url: string,
  options: Parameters<typeof call>[1] = {},
): Promise<unknown> {
  const answer = await call(url, options);
  if (answer.status !== expected) {
    throw new Error(
      `${options.method ?? 'GET'} ${url}: expected ${expected}, got ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body;
}

/** A demo user's access token from the gateway. */
export async function signIn(gatewayUrl: string, username: string): Promise<string> {
  const body = await expectCall(200, `${gatewayUrl}/api/auth/token`, {
    method: 'POST',
    body: { username, password: 'cheesecake' },
  });
  return TokenResponse.parse(body).access_token;
}
