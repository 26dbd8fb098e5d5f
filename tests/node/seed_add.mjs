// A seed's own BullMQ producer: adds one job, as the seed writes it, to its own queue name and prefix,
// and waits for the outcome (tests/engine/test_seed_contracts.py).
// Usage: node seed_add.mjs <redis: unix socket path or redis:// URL> <prefix> <queue> <job name> <job data JSON>
// Prints {id, result} or {id, failedReason} as JSON on stdout.
import { Queue, QueueEvents } from "bullmq";

const [target, prefix, queueName, jobName, dataJson] = process.argv.slice(2);
const connection = target.startsWith("redis://")
  ? (() => {
      const url = new URL(target);
      return { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0) };
    })()
  : { path: target };

const queue = new Queue(queueName, { connection, prefix });
const events = new QueueEvents(queueName, { connection, prefix });
try {
  await events.waitUntilReady();
  const job = await queue.add(jobName, JSON.parse(dataJson), { attempts: 3, backoff: { type: "exponential", delay: 2000 } });
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
