/** HotSauce: plain JSON calls by path, cursor pages, SSE, and the typed openapi-fetch client
 * (`client.api`) over the same transport. */

import createClient, { type Client } from "openapi-fetch";

import { problemFromResponse } from "./errors.js";
import { eventStream, type SseEvent, type StreamOptions } from "./events.js";
import type { paths } from "./generated/schema.js";
import { NO_KEY_HEADER, Transport, type TransportOptions } from "./transport.js";

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** undefined: a fresh UUID for writes; a string: this key; null: no key (and no retry). */
  idempotencyKey?: string | null;
}

export interface CredentialsFile {
  clients: Array<{ kind: string; partnerId?: string | null; clientId: string; clientSecret: string }>;
}

export class HotSauce {
  readonly baseUrl: string;
  readonly transport: Transport;
  /** Typed operations generated from the schema: `client.api.GET("/api/v1/orders/{orderId}", ...)`. */
  readonly api: Client<paths>;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.transport = new Transport({ ...options, baseUrl: this.baseUrl });
    this.api = createClient<paths>({ baseUrl: this.baseUrl, fetch: this.transport.fetch });
    this.api.use({
      async onResponse({ response }) {
        if (response.status >= 400) throw await problemFromResponse(response);
        return undefined;
      },
    });
  }

  /** A client from the JSON that `seed_demo --credentials-out` writes. */
  static fromCredentials(baseUrl: string, file: CredentialsFile, partnerId?: string, kind?: string,
                         options: Partial<TransportOptions> = {}): HotSauce {
    const entry = file.clients.find((c) => (partnerId === undefined || c.partnerId === partnerId)
      && (kind === undefined || c.kind === kind));
    if (!entry) throw new Error(`no client for partner ${partnerId} kind ${kind}`);
    return new HotSauce({ ...options, baseUrl, clientId: entry.clientId, clientSecret: entry.clientSecret });
  }

  token(): Promise<string | undefined> {
    return this.transport.accessToken();
  }

  url(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return this.baseUrl + (path.startsWith("/") ? path : `/api/v1/${path}`);
  }

  /** Any call: the parsed JSON of a 2xx answer (the raw Response with `raw`), else a ProblemError. */
  async request<T = any>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await (await this.send(method, path, body, options)).text().then((t) => (t ? JSON.parse(t) : undefined)));
  }

  async send(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Response> {
    const headers = new Headers({ Accept: "application/json", ...options.headers });
    if (options.idempotencyKey === null) headers.set(NO_KEY_HEADER, "1");
    else if (options.idempotencyKey !== undefined) headers.set("Idempotency-Key", options.idempotencyKey);
    if (body !== undefined) headers.set("Content-Type", "application/json");
    const url = new URL(this.url(path));
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const response = await this.transport.fetch(new Request(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    }));
    if (response.status >= 400) throw await problemFromResponse(response);
    return response;
  }

  get<T = any>(path: string, query?: RequestOptions["query"]): Promise<T> {
    return this.request<T>("GET", path, undefined, { query });
  }

  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>("POST", path, body ?? {}, options);
  }

  patch<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>("PATCH", path, body ?? {}, options);
  }

  /** Every item of a cursor-paginated list, following `next` until it is null. */
  async *paginate<T = any>(path: string, query?: RequestOptions["query"]): AsyncGenerator<T> {
    let page = await this.get<{ results: T[]; next?: string | null }>(path, query);
    for (;;) {
      yield* page.results;
      if (!page.next) return;
      page = await this.get(page.next);
    }
  }

  /** The Server-Sent Events stream, reconnecting from the last event id it saw. */
  events(options: StreamOptions = {}): AsyncGenerator<SseEvent> {
    return eventStream(this.transport.fetch, this.url("events/stream"), options);
  }
}
