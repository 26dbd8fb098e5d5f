"""The HTTP API (FastAPI): submit and watch jobs, upload and download artifacts, tasks, queues, health."""
