# The cockpit, isolated from the driver's machine: git, gh, gnupg and the cockpit,
# run as the non-root user `cockpit`.
#
# Build (anywhere with Docker):
#   docker build -t cockpit .
# Build on a machine that reaches the package index through its own mirror or proxy:
#   docker build --build-arg PIP_INDEX_URL=... --build-arg PIP_CERT=... -t cockpit .
# Build from another base (CI passes a local Debian image made with debootstrap; it must
# have python3 >= 3.11 with venv and pip, apt, and /bin/bash):
#   docker build --build-arg BASE_IMAGE=localhost/cockpit-base:bookworm -t cockpit .
#
# Run (secrets by environment or as files, config and state by mounts):
#   docker run --rm -it \
#     -e COCKPIT_GITHUB_TOKEN \
#     -v "$PWD/github-token:/run/secrets/COCKPIT_GITHUB_TOKEN:ro" \
#     -v "$HOME/.config/cockpit:/home/cockpit/.config/cockpit:ro" \
#     -v cockpit-state:/home/cockpit/.local/state/cockpit \
#     cockpit demo
#
# Every file /run/secrets/COCKPIT_* becomes the environment variable of that name (a
# variable already set wins), so tokens need never appear in `docker inspect`.
# COCKPIT_GITHUB_TOKEN is also handed to `gh` as GH_TOKEN unless GH_TOKEN is set.

ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# Package index settings for the build only (pip reads them from the environment).
# Unset by default, so a plain `docker build` uses pip's own defaults.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_CERT
ARG DEBIAN_FRONTEND=noninteractive

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Tools the release actions shell out to. Versions come from the base image's Debian
# release, which differs between bases (bookworm here, the official image's elsewhere),
# so they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git gh gnupg openssh-client \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 cockpit \
    && useradd --uid 10001 --gid cockpit --create-home --home-dir /home/cockpit \
        --shell /bin/bash cockpit

# Dependencies first, in their own layer, so that a change to the code alone rebuilds
# only the small layer below.
COPY pyproject.toml /tmp/deps/pyproject.toml
RUN python3 -m venv /opt/cockpit \
    && /opt/cockpit/bin/python -c 'import tomllib; \
p = tomllib.load(open("/tmp/deps/pyproject.toml", "rb")); \
print("\n".join(p["build-system"]["requires"] + ["wheel"] + p["project"]["dependencies"]))' \
        > /tmp/deps/requirements.txt \
    && /opt/cockpit/bin/pip install --no-cache-dir --disable-pip-version-check \
        -r /tmp/deps/requirements.txt \
    && rm -rf /tmp/deps

COPY . /tmp/src
RUN /opt/cockpit/bin/pip install --no-cache-dir --disable-pip-version-check \
        --no-deps --no-build-isolation /tmp/src \
    && rm -rf /tmp/src

# The entrypoint: secrets mounted as files become environment variables, then the
# cockpit runs with the container's arguments. (The single quotes are deliberate:
# this writes a script, it does not run one.)
# hadolint ignore=SC2016
RUN printf '%s\n' \
        '#!/bin/sh' \
        'for f in /run/secrets/COCKPIT_*; do' \
        '    [ -f "$f" ] || continue' \
        '    name=${f##*/}' \
        '    case $name in *[!A-Z0-9_]*) continue ;; esac' \
        '    if [ -z "$(printenv "$name")" ]; then export "$name=$(cat "$f")"; fi' \
        'done' \
        'if [ -z "${GH_TOKEN:-}" ] && [ -n "${COCKPIT_GITHUB_TOKEN:-}" ]; then' \
        '    export GH_TOKEN="$COCKPIT_GITHUB_TOKEN"' \
        'fi' \
        'exec cockpit "$@"' \
        > /usr/local/bin/cockpit-entrypoint \
    && chmod 0755 /usr/local/bin/cockpit-entrypoint \
    && mkdir -p /home/cockpit/.config/cockpit /home/cockpit/.local/state/cockpit \
        /home/cockpit/.cache \
    && chown -R cockpit:cockpit /home/cockpit

ENV PATH=/opt/cockpit/bin:$PATH \
    HOME=/home/cockpit \
    LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring

# Numeric, so that a runtime can check it is not root (user `cockpit`).
USER 10001:10001
WORKDIR /home/cockpit
VOLUME ["/home/cockpit/.local/state/cockpit"]

ENTRYPOINT ["/usr/local/bin/cockpit-entrypoint"]
CMD ["--help"]
