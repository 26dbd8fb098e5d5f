// Node's BullMQ on the same Redis, for bench/queue_throughput.py: the peer a Python worker is measured against.
// Uses the Node fixture of tests/node (bullmq + ioredis, installed by `make setup`).
//
// Usage: node bullmq_noop.mjs <redis: unix socket path or redis:// URL> <prefix> <queue> <mode> <jobs> <concurrency> [job JSON]
//   mode "drain":   pre-fill <jobs> no-op jobs (addBulk, queue paused), start a Worker, resume, time to the last completion.
//   mode "fill":    only pre-fill <jobs> jobs (a Node producer; job JSON = {name, data, opts}) and exit.
//   mode "consume": start a Worker on an already filled, paused queue, resume, time to the <jobs>-th completion.
// Prints one JSON line: {"mode", "jobs", "seconds"}.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../tests/node/package.json", import.meta.url));
const { Queue, Worker } = require("bullmq");

const [target, prefix, queueName, mode, jobsArg, concurrencyArg, jobJson] = process.argv.slice(2);
const jobs = Number(jobsArg);
const concurrency = Number(concurrencyArg);
const template = jobJson ? JSON.parse(jobJson) : { name: "noop", data: { task: "noop", params: {} }, opts: {} };
const connection = target.startsWith("redis://")
  ? (() => {
      const url = new URL(target);
      return { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0),
               maxRetriesPerRequest: null };
    })()
  : { path: target, maxRetriesPerRequest: null };

const queue = new Queue(queueName, { connection, prefix });

async function fill() {
  await queue.pause();
  for (let start = 0; start < jobs; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(jobs, start + 1000); i++) batch.push(template);
    await queue.addBulk(batch);
  }
}

async function consume() {
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const worker = new Worker(queueName, async () => ({ ok: true }), { connection, prefix, concurrency });
  worker.on("completed", () => { if (++done >= jobs) finish(); });
  await worker.waitUntilReady();
  await new Promise((resolve) => setTimeout(resolve, 500)); // settle into the blocking wait, as the Python side does
  const start = process.hrtime.bigint();
  await queue.resume();
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await worker.close();
  return seconds;
}

try {
  let seconds = null;
  if (mode === "fill") {
    await fill();
  } else if (mode === "drain") {
    await queue.obliterate({ force: true });
    await fill();
    seconds = await consume();
    await queue.obliterate({ force: true });
  } else if (mode === "consume") {
    seconds = await consume();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(JSON.stringify({ mode, jobs, seconds }) + "\n");
} finally {
  await queue.close();
}
