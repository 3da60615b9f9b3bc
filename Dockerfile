# The chinwag server as a container image, built from this repository with the locked,
# hash-checked requirements (requirements/*.txt, the same lock `make` installs from).
#
#   docker build -t chinwag .
#   docker run -d --name chinwag -p 8080:8080 -v chinwag-data:/data chinwag
#
# Settings come as flags after the image name (`chinwag serve` is the default command)
# or as CHINWAG_* variables: docs/deploy.md. The server runs as the unprivileged user
# `chinwag`; its SQLite database, files and nothing else live in the /data volume.

ARG PYTHON=python:3.11-slim-bookworm

FROM ${PYTHON} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/chinwag
WORKDIR /build
# The lock first, so that a change to the code alone does not reinstall everything.
COPY requirements/bootstrap.txt requirements/runtime.txt requirements/
RUN /opt/chinwag/bin/pip install --require-hashes -r requirements/bootstrap.txt \
 && /opt/chinwag/bin/pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# Built with the locked setuptools, with no dependency resolved outside the lock.
RUN /opt/chinwag/bin/pip install --no-deps --no-build-isolation . \
 && /opt/chinwag/bin/pip check

FROM ${PYTHON}
RUN groupadd --system --gid 10001 chinwag \
 && useradd --system --uid 10001 --gid chinwag --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin chinwag \
 && mkdir /data && chown chinwag:chinwag /data && chmod 0750 /data
COPY --from=build /opt/chinwag /opt/chinwag
ENV PATH=/opt/chinwag/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CHINWAG_DATA_DIR=/data \
    CHINWAG_HOST=0.0.0.0 \
    CHINWAG_PORT=8080
USER chinwag
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# 200 while the node serves; 503 when its database fails or it is stopping.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CHINWAG_PORT', '8080'), timeout=4)"]
# SIGTERM (docker stop) is the graceful stop: clients are told to come back.
STOPSIGNAL SIGTERM
ENTRYPOINT ["chinwag"]
CMD ["serve"]
