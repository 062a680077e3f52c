#!/usr/bin/env bash
# A real Matrix homeserver for the Matrix client's tests: matrix-synapse from PyPI in its
# own venv (it pins its own twisted/etc. and must not share the cockpit's venv).
#
#   eval "$(bash .ci/synapse.sh)"     # installs (once) and exports COCKPIT_SYNAPSE_PYTHON
#
# Prints exactly one line on stdout, `export COCKPIT_SYNAPSE_PYTHON=<venv>/bin/python`;
# progress goes to stderr. It exits non-zero when the install fails; `eval "$(...)"` hides
# that (eval of nothing succeeds), so a script that needs Synapse captures it first:
#   env=$(bash .ci/synapse.sh) && eval "$env" The venv is reused when it already imports synapse, so a warm
# run costs a fraction of a second. The test fixture (tests/services/conftest.py) writes
# its own homeserver.yaml (sqlite, 127.0.0.1 on a free port, `trusted_key_servers: []`,
# no federation listener, registration only via the shared-secret admin API) and starts
# and stops the server once per pytest session (~3 s). With CI=true and the variable
# unset, the Matrix tests fail rather than skip.
#
# Knobs (environment):
#   COCKPIT_CI_CACHE         cache directory                    (/var/tmp/cockpit-ci)
#   COCKPIT_SYNAPSE_VERSION  pip requirement for the server     (matrix-synapse)
#   COCKPIT_SYNAPSE_BASE     python that creates the venv       (python3)
set -euo pipefail

cache="${COCKPIT_CI_CACHE:-/var/tmp/cockpit-ci}"
venv="$cache/synapse-venv"
req="${COCKPIT_SYNAPSE_VERSION:-matrix-synapse}"
base="${COCKPIT_SYNAPSE_BASE:-python3}"

log() { printf 'synapse.sh: %s\n' "$*" >&2; }

mkdir -p "$cache"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import synapse' 2>/dev/null; then
    log "reusing $venv ($("$venv/bin/python" -c 'import synapse; print(synapse.__version__)'))"
else
    log "creating $venv with $req (a few minutes the first time)"
    rm -rf "$venv"
    if ! "$base" -m venv "$venv" >&2; then
        log "$base -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
        exit 1
    fi
    if ! { "$venv/bin/python" -m pip install --upgrade pip \
           && "$venv/bin/python" -m pip install "$req"; } >"$cache/synapse-pip.log" 2>&1; then
        tail -n 40 "$cache/synapse-pip.log" >&2
        log "pip install $req failed (full log: $cache/synapse-pip.log)"
        rm -rf "$venv"
        exit 1
    fi
    "$venv/bin/python" -c 'import synapse; print("synapse", synapse.__version__)' >&2
fi
echo "export COCKPIT_SYNAPSE_PYTHON=$venv/bin/python"
