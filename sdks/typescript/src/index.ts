export { HotSauce, type CredentialsFile, type RequestOptions } from "./client.js";
export * from "./errors.js";
export { eventStream, parseFrames, type SseEvent, type StreamOptions } from "./events.js";
export { retryAfterSeconds, Transport, type TransportOptions } from "./transport.js";
export { verifyWebhook, WebhookVerificationError, type EventEnvelope } from "./webhooks.js";
export type { components, operations, paths } from "./generated/schema.js";
