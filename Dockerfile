# syntax=docker/dockerfile:1

# Build stage: the virtual environment with the service and its dependencies.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /srv/portfolio
COPY pyproject.toml README.md ./
COPY app ./app
# The package carries its migrations and seed data; no extras, as .ci/run checks.
RUN pip install --no-cache-dir .

# Runtime stage: no build tooling, a non-root user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
RUN groupadd --gid 10001 portfolio && useradd --create-home --uid 10001 --gid 10001 portfolio
WORKDIR /srv/portfolio
COPY --from=build /opt/venv /opt/venv
# The working directory holds what the service writes (var/: the SQLite default, demo tokens).
RUN mkdir -p var && chown portfolio:portfolio var

USER 10001:10001
EXPOSE 8000

# Liveness only: a database outage shows on /readyz (for load balancers), and restarting the
# container would not cure it.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=2)"]

# Migrations first, then the server (exec: it receives SIGTERM and drains in-flight requests).
CMD ["sh", "-c", "portfolio db upgrade && exec portfolio serve"]
