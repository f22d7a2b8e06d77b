# Trợ lý Kế hoạch: the Telegram bot in a slim image.
#   docker build -t tro-ly-ke-hoach .
#   docker run --env-file .env -v planbot-data:/app/data tro-ly-ke-hoach
# Dependencies come from pyproject.toml; the plan is checked at build time; the
# database lives on the /app/data volume; the process runs as a non-root user.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////app/data/planbot.db \
    HEARTBEAT_PATH=/tmp/planbot.heartbeat

WORKDIR /app

# Runtime dependencies only, read from pyproject.toml (cached until it changes).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY bot ./bot
COPY intents ./intents
COPY knowledge ./knowledge
RUN python -m bot check-plan \
    && useradd --create-home --uid 10001 planbot \
    && mkdir -p /app/data \
    && chown planbot:planbot /app/data

USER planbot
VOLUME ["/app/data"]

# The bot touches HEARTBEAT_PATH every 30 s while it is receiving updates.
HEALTHCHECK --interval=60s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, time; p = os.environ['HEARTBEAT_PATH']; sys.exit(0 if os.path.exists(p) and time.time() - os.path.getmtime(p) < 120 else 1)"]

STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
