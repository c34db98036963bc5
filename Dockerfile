# Nexus: `docker build -t nexus .` then `docker run --env-file .env -v nexus-data:/app/data nexus`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 nexus

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install .

COPY content ./content
RUN mkdir -p /app/data && chown nexus:nexus /app/data

USER nexus
VOLUME ["/app/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

# Docker sends SIGTERM on stop: Nexus closes the gateway and the database cleanly.
CMD ["python", "-m", "bot"]
