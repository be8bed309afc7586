# syntax=docker/dockerfile:1
# Multi-stage: dependencies are built in one stage, the runtime stage runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY requirements.lock ./
RUN grep -v '^#' requirements.lock \
    | grep -viE '^(pytest|pytest-django|pytest-timeout|pytest-xdist|factory.boy|faker|ruff|execnet|iniconfig|pluggy|websockets)==' \
    > /tmp/runtime.lock \
    && pip install -r /tmp/runtime.lock
COPY . .
RUN pip install --no-deps . \
    && SECRET_KEY=collectstatic-only JWT_SIGNING_KEY=collectstatic-only \
       DJANGO_SETTINGS_MODULE=config.settings.dev python manage.py collectstatic --noinput --verbosity 0

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.prod \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8000
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin cmms
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=cmms:cmms /app /app
WORKDIR /app
# var/secrets holds the keys generated on first start when the environment gives none.
RUN mkdir -p /app/var/media /app/var/secrets && chown -R cmms:cmms /app/var && chmod 700 /app/var/secrets
USER cmms
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)" || exit 1
CMD ["sh", "-c", "uvicorn config.asgi:application --host $WEB_HOST --port $WEB_PORT --lifespan off --no-access-log --no-proxy-headers"]
