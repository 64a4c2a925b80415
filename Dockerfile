# msgrouter: one image for every service (web, smtp, worker, beat, migrate, the demo sink).
FROM python:3.11-slim
WORKDIR /app

# Dependencies first, pinned by the constraints file, so this layer is rebuilt only when
# pyproject.toml or the constraints change, not at every change to the source.
COPY pyproject.toml ./
COPY requirements/constraints.txt ./requirements/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/dependencies.txt \
    && pip install --no-cache-dir -r /tmp/dependencies.txt -c requirements/constraints.txt \
    && rm /tmp/dependencies.txt

# Then the source; its dependencies are already installed.
COPY README.md LICENSE ./
COPY router ./router
COPY workers ./workers
COPY channels ./channels
COPY config ./config
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home msgrouter && mkdir -p /app/var && chown msgrouter /app/var
USER msgrouter
ENTRYPOINT ["msgrouter"]
