/** What every request gets: a bearer token (refreshed), an Idempotency-Key on writes, and
 * retries of 429/503 honouring Retry-After — never for a write sent without its key. */

import { problemFromResponse } from "./errors.js";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const SAFE = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** Header the SDK strips: send this write without an Idempotency-Key (it is then never retried). */
export const NO_KEY_HEADER = "X-Hotsauce-No-Idempotency-Key";

export type FetchLike = (input: Request) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
  apiKey?: string;
  scope?: string;
  maxRetries?: number;
  maxDelaySeconds?: number;
  fetch?: FetchLike;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function base64(text: string): string {
  return btoa(text);  // Node 16+ and every browser; client ids and secrets are ASCII
}

function uuid4(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);  // Node 18 without the global
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, (when - Date.now()) / 1000);
}

export class Transport {
  private token?: string;
  private expiresAt = 0;
  private readonly fetchImpl: FetchLike;

  constructor(private readonly options: TransportOptions) {
    if (!options.apiKey && !(options.clientId && options.clientSecret)) {
      throw new Error("give clientId and clientSecret, or apiKey");
    }
    this.fetchImpl = options.fetch ?? ((input) => globalThis.fetch(input));
  }

  async accessToken(refresh = false): Promise<string | undefined> {
    const { clientId, clientSecret, scope, baseUrl } = this.options;
    if (!clientId || !clientSecret) return undefined;
    if (refresh || !this.token || Date.now() >= this.expiresAt) {
      const form = new URLSearchParams({ grant_type: "client_credentials" });
      if (scope) form.set("scope", scope);
      const response = await this.fetchImpl(new Request(`${baseUrl.replace(/\/$/, "")}/oauth/token/`, {
        method: "POST", body: form,
        headers: { Authorization: `Basic ${base64(`${clientId}:${clientSecret}`)}` },
      }));
      if (response.status !== 200) throw await problemFromResponse(response);
      const body = await response.json();
      const lifetime = Number(body.expires_in ?? 3600);
      this.token = body.access_token as string;
      this.expiresAt = Date.now() + Math.max(lifetime - 60, lifetime / 2) * 1000;
    }
    return this.token;
  }

  private async authorize(headers: Headers, refresh = false): Promise<void> {
    if (this.options.apiKey) headers.set("Authorization", `ApiKey ${this.options.apiKey}`);
    else headers.set("Authorization", `Bearer ${await this.accessToken(refresh)}`);
  }

  private delay(attempt: number, response?: Response): number | undefined {
    const told = response ? retryAfterSeconds(response.headers.get("Retry-After")) : undefined;
    if (told !== undefined) return told <= (this.options.maxDelaySeconds ?? 30) ? told * 1000 : undefined;
    return Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
  }

  /** A fetch for openapi-fetch (and for HotSauce's own calls). */
  readonly fetch: FetchLike = async (input: Request) => {
    const method = input.method.toUpperCase();
    const headers = new Headers(input.headers);
    const noKey = headers.has(NO_KEY_HEADER);
    headers.delete(NO_KEY_HEADER);
    if (!headers.has("Authorization")) await this.authorize(headers);
    if (WRITES.has(method) && !headers.has("Idempotency-Key") && !noKey) {
      headers.set("Idempotency-Key", uuid4());
    }
    // Read the body once so each attempt can send it again.
    const body = method === "GET" || method === "HEAD" ? undefined : await input.arrayBuffer();
    // A write without its key may have been applied already: sending it again could do it twice.
    const retryable = SAFE.has(method) || headers.has("Idempotency-Key");
    const maxRetries = this.options.maxRetries ?? 3;
    let refreshed = false;
    for (let attempt = 0; ; ) {
      let response: Response;
      try {
        response = await this.fetchImpl(new Request(input.url, { method, headers, body, signal: input.signal }));
      } catch (error) {
        if (attempt >= maxRetries || !retryable || input.signal?.aborted) throw error;
        await sleep(this.delay(attempt) ?? 0);
        attempt += 1;
        continue;
      }
      if (response.status === 401 && this.options.clientId && !refreshed) {
        refreshed = true;
        await this.authorize(headers, true);
        continue;
      }
      const wait = response.status === 429 || response.status === 503 ? this.delay(attempt, response) : undefined;
      if (wait !== undefined && attempt < maxRetries && retryable) {
        await response.arrayBuffer();
        await sleep(wait);
        attempt += 1;
        continue;
      }
      return response;
    }
  };
}
