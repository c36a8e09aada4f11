import {
  type Endpoint,
  fillPath,
  gatewayApi,
  type JsonRouteOf,
  PROBLEM_CONTENT_TYPE,
  Problem,
  type RequestOf,
  type ResponseOf,
} from '@cheesecake/contracts';

type GatewayApi = typeof gatewayApi;

/** A route of the public API that answers one JSON body (every route but the streams). */
export type RouteName = JsonRouteOf<GatewayApi>;

type SuccessStatus = 200 | 201 | 202 | 204 | 304;

/** What a route answers when it succeeds, as its contract record's schema parsed it. */
export type SuccessOf<K extends RouteName> = Extract<
  ResponseOf<GatewayApi[K]>,
  { status: SuccessStatus }
>['body'];

/** A problem the API answered (`application/problem+json`), or one the client met on the way. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'ApiProblem';
  }

  /** Whether the problem is of the type named by `code` (`urn:cheesecake:problem:<code>`). */
  is(code: string): boolean {
    return this.problem.type === `urn:cheesecake:problem:${code}`;
  }
}

/** How the client reaches the API: the token to send, and what to do when it is refused. */
export interface ClientOptions {
  /** The access token of the signed-in user, or null before sign-in. */
  accessToken: () => string | null;
  /** Called with the problem when the API answers 401 to a request that carried a token. */
  onUnauthenticated: (problem: ApiProblem) => void;
  /** Where the API is: the page's own origin (same-origin paths) unless set. */
  baseUrl?: string;
}

/** A typed client of the public API, built from the contract records in `gatewayApi`. */
export interface ApiClient {
  call<K extends RouteName>(route: K, request: RequestOf<GatewayApi[K]>): Promise<SuccessOf<K>>;
}

/** Builds the public API's typed client: every answer is parsed with its record's schema. */
export function createApiClient(options: ClientOptions): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  return {
    async call(route, request) {
      const endpoint: Endpoint = gatewayApi[route];
      const parts = request as {
        params?: object;
        query?: object;
        body?: unknown;
        headers?: object;
      };
      const token = options.accessToken();
      const headers = new Headers({ accept: 'application/json' });
      if (token) headers.set('authorization', `Bearer ${token}`);
      for (const [name, value] of Object.entries(parts.headers ?? {})) {
        if (value !== undefined) headers.set(name, String(value));
      }
      if (parts.body !== undefined) headers.set('content-type', 'application/json');

      const path = fillPath(endpoint.path, parts.params as Record<string, unknown>);
      const response = await fetch(`${baseUrl}${path}${queryOf(parts.query)}`, {
        method: endpoint.method,
        headers,
        body: parts.body === undefined ? undefined : JSON.stringify(parts.body),
      }).catch((error: unknown) => {
        throw new ApiProblem(0, {
          type: 'about:blank',
          title: 'The gateway cannot be reached',
          status: 503,
          detail: error instanceof Error ? error.message : String(error),
        });
      });

      const answer = await readAnswer(endpoint, response);
      if (answer instanceof ApiProblem) {
        if (answer.status === 401 && token) options.onUnauthenticated(answer);
        throw answer;
      }
      return answer as SuccessOf<typeof route>;
    },
  };
}

function queryOf(query: object | undefined): string {
  const entries = Object.entries(query ?? {}).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([name, value]) => [name, String(value)]))}`;
}

async function readAnswer(endpoint: Endpoint, response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json')
    ? await response.json().catch(() => undefined)
    : undefined;
  if (type.startsWith(PROBLEM_CONTENT_TYPE)) {
    const problem = Problem.safeParse(body);
    if (problem.success) return new ApiProblem(response.status, problem.data);
  }
  const schema = endpoint.responses[response.status];
  if (!response.ok || !schema) {
    return new ApiProblem(response.status, {
      type: 'about:blank',
      title: `The gateway answered ${response.status} ${response.statusText}`.trim(),
      status: response.status,
    });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    return new ApiProblem(response.status, {
      type: 'about:blank',
      title: 'The answer does not match the API contract',
      status: 502,
      detail: parsed.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; '),
    });
  }
  return parsed.data;
}
