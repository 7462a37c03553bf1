/** Standard Webhooks signature verification (webhook-id, webhook-timestamp, webhook-signature). */

import { Webhook, WebhookVerificationError } from "standardwebhooks";

export { WebhookVerificationError };

export interface EventEnvelope {
  id: string;
  type: string;
  sequence: number;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The envelope if the signature and timestamp (5 min tolerance) check out, else throws
 * WebhookVerificationError. Pass the raw body exactly as received, before any JSON parsing. */
export function verifyWebhook(secret: string, body: string, headers: Record<string, string | string[] | undefined>):
    EventEnvelope {
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) lowered[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  new Webhook(secret).verify(body, lowered);
  return JSON.parse(body) as EventEnvelope;
}
