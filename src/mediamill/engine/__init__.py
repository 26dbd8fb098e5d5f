"""The engine: BullMQ queues and workers, the embedded Redis, schedules and events."""
