import type { HttpApp } from '../../shared/http/http-env.js';
import { basic } from './accounts.js';

export interface ApiResponse {
  status: number;
  // Tests read whatever JSON came back.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** Calls `/api/v1` in-process as a script would: Basic credentials, a Bearer token, or nobody. */
export class ApiClient {
  constructor(
    private readonly app: HttpApp,
    private readonly auth?: { basic: string } | { bearer: string },
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (this.auth && 'basic' in this.auth) headers.Authorization = basic(this.auth.basic);
    if (this.auth && 'bearer' in this.auth) headers.Authorization = `Bearer ${this.auth.bearer}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.app.request(`/api/v1${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  get = (path: string) => this.call('GET', path);
  post = (path: string, body?: unknown) => this.call('POST', path, body);
  put = (path: string, body?: unknown) => this.call('PUT', path, body);
  delete = (path: string) => this.call('DELETE', path);
}
