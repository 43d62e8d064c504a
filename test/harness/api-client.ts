import { ISO_UTC } from './contract';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Every response body this test process received: the secret-canary specs search it. */
export const receivedBodies: string[] = [];

/** A thin JSON client over fetch; one per principal. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {}

  as(token: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, token, this.defaultHeaders);
  }

  withHeaders(headers: Record<string, string>): ApiClient {
    return new ApiClient(this.baseUrl, this.token, { ...this.defaultHeaders, ...headers });
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const init: RequestInit = { method, headers: { ...this.defaultHeaders, ...headers } };
    const h = init.headers as Record<string, string>;
    if (this.token) {
      h.authorization = `Bearer ${this.token}`;
    }
    if (body !== undefined) {
      h['content-type'] ??= 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    receivedBodies.push(text);
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }
}

/** Asserts the one error envelope, with the given status and code. */
export function expectError(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, error: response.body?.error }).toEqual({ status, error: code });
  expect(typeof response.body.message).toBe('string');
  expect(response.body.timestamp).toMatch(ISO_UTC);
  const allowed = code === 'VALIDATION_ERROR' ? ['details', 'error', 'message', 'timestamp'] : ['error', 'message', 'timestamp'];
  expect(Object.keys(response.body).sort()).toEqual(allowed);
}
