# syntax=docker/dockerfile:1
# Build stage: install outage_notify and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install .

# Runtime stage: the virtualenv, contacts and templates, as an unprivileged user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    OUTAGE_NOTIFY_CONTACTS_DIR=/app/contacts OUTAGE_NOTIFY_TEMPLATES_DIR=/app/templates \
    OUTAGE_NOTIFY_INCIDENT_TEMPLATES_DIR=/app/incident_templates
RUN useradd --system --uid 10001 --home-dir /app outage
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY templates ./templates
COPY incident_templates ./incident_templates
COPY contacts ./contacts
USER outage
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["outage-notify", "serve", "--host", "0.0.0.0", "--port", "8000"]
