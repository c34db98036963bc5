# Nexus: `docker compose up -d --wait` (compose.yaml), or `docker build -t nexus .` then
# `docker run --env-file .env -v nexus-data:/app/data nexus`.
#
# The base image, pinned by digest so that a rebuild gets the same Python and Debian: the tag
# python:3.11-slim. To move to its newest build, put the digest this prints here:
#   docker pull python:3.11-slim && docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim
ARG PYTHON=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# ---- build: Nexus's own code as a wheel, by the locked build backend (not in the image).
FROM ${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/build.txt requirements/
RUN pip install --require-hashes -r requirements/build.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# ---- the image: what runs the bot, and nothing else (no tests, benchmarks or local Discord).
FROM ${PYTHON} AS nexus
# MALLOC_ARENA_MAX: glibc gives each thread that allocates (one per SQLite connection) a heap
# of its own, and memory freed in one is not reused by another; two heaps took the bench's bot
# at 100k questions from 180 to 169 MB at its peak while it still loaded the document reader
# in a thread (once it no longer did, 159 MB with or without them), and keep every process here
# small.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# pg_dump and pg_restore, for backups when DATABASE_URL is PostgreSQL: the base image's Debian
# client, which dumps servers of its version and older (compose.postgres.yaml runs 15). SQLite
# needs nothing more.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 nexus

# Layer 1, the dependencies, from the lock alone: rebuilt only when requirements/runtime.txt
# changes, so a change to the code reinstalls nothing.
COPY requirements/runtime.txt requirements/
RUN pip install --require-hashes --no-deps -r requirements/runtime.txt

# Layer 2, Nexus itself (bot/ and cogs/, the wheel built above): a code change rebuilds this.
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -r /tmp/wheels

# Layer 3, the learnings: a content change rebuilds only this and what follows.
COPY content ./content
RUN mkdir -p /app/data && chown nexus:nexus /app/data

USER nexus
VOLUME ["/app/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

# Docker sends SIGTERM on stop: Nexus closes the gateway and the database cleanly.
# Exit statuses (README, Troubleshooting): 2 fix the settings, 3 Discord not reached.
CMD ["python", "-m", "bot"]

# ---- only when asked (`docker build --target playground -t nexus-playground .`): the image
# with the local Discord, for `docker run -it --rm nexus-playground`.
FROM nexus AS playground
COPY localdiscord ./localdiscord
COPY examples ./examples
CMD ["python", "-m", "bot", "playground"]

# The default target is the bot's image.
FROM nexus
