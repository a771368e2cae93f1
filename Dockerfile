# syntax=docker/dockerfile:1
# The coso service image. The embedded PostgreSQL is for local use: a container is given DATABASE_URL.
#
#   docker build -t coso .
#   docker run --rm -e DATABASE_URL=postgresql://user:password@db:5432/coso coso migrate
#   docker run -d -p 8000:8000 -e DATABASE_URL=postgresql://user:password@db:5432/coso coso
#
# `serve` applies pending migrations too; `migrate` lets a deployment run them once, before the new replicas start.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the dependencies from the runtime lock (requirements/runtime.txt, `make lock`), every file checked
# against its hashes, then the package itself without dependencies; in a venv copied whole to the runtime.
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The dependencies first: this layer is rebuilt when the lock changes, not on every change to app/.
COPY requirements/runtime.txt ./requirements/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml ./
COPY app ./app
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . \
 && pip check

# --- runtime: no compilers, no sources beyond the migrations, not root.
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COSO_MIGRATIONS_DIR=/app
RUN groupadd --system --gid 10001 coso \
 && useradd --system --uid 10001 --gid coso --create-home --home-dir /home/coso --shell /usr/sbin/nologin coso
COPY --from=builder /opt/venv /opt/venv
# alembic.ini and alembic/ are not part of the wheel: app.db.migrations finds them in COSO_MIGRATIONS_DIR.
# Owned by root and read-only for the service user, like the venv.
WORKDIR /app
COPY alembic.ini ./
COPY alembic ./alembic
USER coso
EXPOSE 8000
# The liveness probe (the process answers); /readyz says whether the database does. No curl in -slim.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
ENTRYPOINT ["coso"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
