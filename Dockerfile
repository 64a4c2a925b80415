FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY router ./router
COPY workers ./workers
COPY channels ./channels
COPY config ./config
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --create-home msgrouter && mkdir -p /app/var && chown msgrouter /app/var
USER msgrouter
ENTRYPOINT ["msgrouter"]
