// A Node BullMQ producer submits a mediamill job and waits for its result (tests/engine/test_node_interop.py).
// Usage: node submit_inspect.mjs <redis: unix socket path or redis:// URL> <artifact id>
// Prints the job's return value as JSON on stdout.
import { Queue } from "bullmq";

import { eventsFromNow } from "./events_from_now.mjs";

const [target, artifact] = process.argv.slice(2);
const connection = target.startsWith("redis://")
  ? (() => {
      const url = new URL(target);
      return { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0) };
    })()
  : { path: target };

const prefix = "mediamill"; // mediamill's key prefix (src/mediamill/constants.py KEY_PREFIX)
const queue = new Queue("assets", { connection, prefix });
const events = await eventsFromNow(queue, connection, prefix);
try {
  // The wire format: plain JSON; the job name is the task name.
  const job = await queue.add(
    "file.inspect",
    { task: "file.inspect", params: { text_preview_chars: 5 }, inputs: [{ artifact }] },
    { attempts: 3, backoff: { type: "exponential", delay: 2000 }, removeOnComplete: { age: 86400, count: 1000 } },
  );
  const result = await job.waitUntilFinished(events, 60_000);
  process.stdout.write(JSON.stringify({ id: job.id, result }) + "\n");
} finally {
  await events.close();
  await queue.close();
}
