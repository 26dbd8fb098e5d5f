// A QueueEvents that hears every event added after this call, however late its read loop starts.
//
// QueueEvents reads the stream from "$" once its loop gets going, and waitUntilReady() only waits for
// the connection: a job that finishes between Job.waitUntilFinished's one status check and that first
// XREAD is never heard of (the producer then waits out its whole timeout; seen under load, where a
// mediamill worker fails a bad job within milliseconds). Starting from the stream's newest id, read
// before the job is added, closes that gap.
import { QueueEvents } from "bullmq";

export async function eventsFromNow(queue, connection, prefix) {
  const client = await queue.getBackend().client; // the raw ioredis client (bullmq 6)
  const newest = await client.xrevrange(queue.keys.events, "+", "-", "COUNT", 1);
  const lastEventId = newest.length ? newest[0][0] : "0-0";
  const events = new QueueEvents(queue.name, { connection, prefix, lastEventId });
  await events.waitUntilReady();
  return events;
}
