import { Problem, TokenResponse } from '@cheesecake/contracts';
import { expect } from 'vitest';

/** An answer from the gateway with its JSON body. */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

const tokensUsed = new Set<string>();

/** Every access token a {@link GatewayClient} of this test file has sent. */
export const accessTokensUsed = (): string[] => [...tokensUsed];

/** Calls the gateway as a real HTTP client would. */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    /** The access token this client sends, if signed in. */
    readonly token?: string,
  ) {
    if (token) tokensUsed.add(token);
  }

  /** Logs a demo user in and returns a client that sends their token. */
  async as(username: string, password = 'cheesecake'): Promise<GatewayClient> {
    const res = await this.send('POST', '/api/auth/token', { username, password });
    expect(res.status).toBe(200);
    return new GatewayClient(this.baseUrl, TokenResponse.parse(res.body).access_token);
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    // A path that normalizes outside /api (`/api/x/../..`) gets the web client's page, not JSON.
    const json = /[/+]json\b/.test(res.headers.get('content-type') ?? '');
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (json ? JSON.parse(text) : text) : undefined,
    };
  }

  get = (path: string, headers?: Record<string, string>) =>
    this.send('GET', path, undefined, headers);
  post = (path: string, body?: unknown) => this.send('POST', path, body);
  put = (path: string, body?: unknown) => this.send('PUT', path, body);
}

/** Asserts an answer's status and parses its body with a contract schema. */
export function expectBody<T>(
  answer: Answer,
  status: number,
  schema: { parse(value: unknown): T },
): T {
  expect(answer.status, `the answer was ${JSON.stringify(answer.body)}`).toBe(status);
  return schema.parse(answer.body);
}

/** Asserts an answer is a problem document of the given status and type code, with a request id. */
export function expectProblem(answer: Answer, status: number, code: string): Problem {
  expect(answer.status, `the answer was ${JSON.stringify(answer.body)}`).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = Problem.parse(answer.body);
  expect(problem.type).toBe(`urn:cheesecake:problem:${code}`);
  expect(problem.requestId).toBe(answer.headers.get('x-request-id'));
  return problem;
}

/** Polls `read` until `done` holds for its result, or fails after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) {
      throw new Error(
        `condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}
