/** Server-Sent Events consumer that resumes from Last-Event-ID after a dropped connection. */

import { ProblemError, problemFromResponse } from "./errors.js";
import type { EventEnvelope } from "./webhooks.js";

export interface StreamOptions {
  lastEventId?: string | number;
  types?: string[];
  reconnectDelayMs?: number;
  maxReconnects?: number;
  signal?: AbortSignal;
}

export interface SseEvent {
  id: string;
  type: string;
  data: EventEnvelope;
}

export async function* parseFrames(chunks: AsyncIterable<string>): AsyncGenerator<SseEvent> {
  let buffer = "";
  let id = "";
  let type = "message";
  let data: string[] = [];
  for await (const chunk of chunks) {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (data.length) yield { id, type, data: JSON.parse(data.join("\n")) };
        type = "message";
        data = [];
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") id = value;
        else if (field === "event") type = value;
        else if (field === "data") data.push(value);
      }
    }
  }
}

async function* text(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

export async function* eventStream(fetchImpl: (input: Request) => Promise<Response>, url: string,
                                   options: StreamOptions = {}): AsyncGenerator<SseEvent> {
  let lastEventId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
  for (let reconnects = 0; ; reconnects++) {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
    const query = options.types?.length ? `?types=${encodeURIComponent(options.types.join(","))}` : "";
    try {
      const response = await fetchImpl(new Request(url + query, { headers, signal: options.signal }));
      if (!response.ok) throw await problemFromResponse(response);
      for await (const event of parseFrames(text(response.body!))) {
        lastEventId = event.id || lastEventId;
        yield event;
      }
    } catch (error) {
      // A refused stream (401, 403, 410) will not get better by reconnecting; a dropped one will.
      if (options.signal?.aborted || error instanceof ProblemError) throw error;
    }
    if (options.maxReconnects !== undefined && reconnects >= options.maxReconnects) return;
    await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 1000));
  }
}
