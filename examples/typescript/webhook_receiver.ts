// A webhook receiver that accepts only deliveries signed with your endpoint's secret.
//   HOTSAUCE_WEBHOOK_SECRET=whsec_... PORT=8080 ./run.sh receiver
// Register it with POST /api/v1/webhooks {"url": "https://your-host/", "eventTypes": ["*"]}.
import { createServer } from "node:http";

import { verifyWebhook } from "@hotsauce/sdk";

const SECRET = process.env.HOTSAUCE_WEBHOOK_SECRET!;
const seen = new Set<string>(); // webhook-id: a delivery may come more than once (at least once)

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8"); // the raw body, exactly as signed
    try {
      const event = verifyWebhook(SECRET, body, request.headers);
      if (!seen.has(event.id)) {
        seen.add(event.id);
        console.log(`verified ${event.type} #${event.sequence} ${event.id}`);
      }
      response.writeHead(204).end(); // answer fast; do slow work after acknowledging
    } catch (error) {
      console.log(`rejected: ${(error as Error).message}`);
      response.writeHead(400).end();
    }
  });
});
server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on ${typeof address === "object" && address ? address.port : ""}`);
});
