// A seed's own BullMQ producer: adds one job, as the seed writes it, to its own queue name and prefix,
// and waits for the outcome (tests/engine/seed_helpers.py).
// Usage: node seed_add.mjs <redis: unix socket path or redis:// URL> <prefix> <queue> <job name> <job data JSON>
// Prints {id, result} or {id, failedReason} as JSON on stdout. {"$buffer": "<base64>"} in the data becomes a
// Buffer (JSON.stringify then writes it as {type: "Buffer", data: [...]}, as a seed's attachments are).
import { Queue } from "bullmq";

import { eventsFromNow } from "./events_from_now.mjs";

const [target, prefix, queueName, jobName, dataJson] = process.argv.slice(2);
const connection = target.startsWith("redis://")
  ? (() => {
      const url = new URL(target);
      return { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0) };
    })()
  : { path: target };

const revive = (key, value) =>
  value && typeof value === "object" && typeof value.$buffer === "string" ? Buffer.from(value.$buffer, "base64") : value;

const queue = new Queue(queueName, { connection, prefix });
const events = await eventsFromNow(queue, connection, prefix);
try {
  const job = await queue.add(jobName, JSON.parse(dataJson, revive), { attempts: 3, backoff: { type: "exponential", delay: 2000 } });
  try {
    const result = await job.waitUntilFinished(events, 280_000);
    process.stdout.write(JSON.stringify({ id: job.id, result }) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ id: job.id, failedReason: String(err.message || err) }) + "\n");
  }
} finally {
  await events.close();
  await queue.close();
}
