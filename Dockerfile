# leadrank: the API, the workers and the command line in one image.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    LEADRANK_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --create-home leadrank && mkdir -p /data \
    && chown leadrank /data
USER leadrank
VOLUME ["/data"]
ENTRYPOINT ["leadrank"]
CMD ["--help"]
