# syntax=docker/dockerfile:1
# mediamill: one image for the API and every worker group (the command and MEDIAMILL_WORKERS choose).
# Both stages install from scripts/setup.sh, the script `make setup` runs: one list of Debian
# packages, one lock file of Python packages. Models come inside their Python packages (piper voice,
# whisper weights): nothing is downloaded at run time.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY scripts/ scripts/
COPY src/ src/
# The bytecode setup.sh compiled stays: the image's user cannot write /app, so without it every
# start of a worker or the API compiled each module it imports from source.
RUN SETUP_PART=python bash scripts/setup.sh

FROM ${PYTHON_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/setup.sh /tmp/setup/scripts/setup.sh
RUN SETUP_PART=debian bash /tmp/setup/scripts/setup.sh \
 && rm -rf /var/lib/apt/lists/* /tmp/setup \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home mediamill \
 && mkdir -p /data \
 && chown mediamill:mediamill /data
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MEDIAMILL_DATA_DIR=/data \
    MEDIAMILL_API_HOST=0.0.0.0 \
    MEDIAMILL_LOG_FORMAT=json
WORKDIR /data
USER 10001:10001
EXPOSE 8000 9100
# The API answers /healthz; a worker started with --metrics-port or a liveness file is probed the
# same way with `mediamill probe worker` (compose and the manifests set that per service).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["mediamill", "probe", "api"]
CMD ["mediamill", "api"]
