#!/usr/bin/env bash
# Run the test suite on the CPython releases this Debian release does not package (3.14, 3.15),
# inside a Debian testing chroot (debootstrap --variant=minbase, the `sid` script).
#
#   scripts/runtimes/debian-testing.sh [--prepare] [MINOR ...]   # default: 3.14 3.15; needs root
#
# --prepare only builds the chroot, its packages and each interpreter's venv (network and disk
# mostly: .ci/run starts it in the background while other steps run), then exits.
# The chroot lives in .ci/cache/debian-testing (git-ignored) and is reused; delete it to rebuild.
# The mirror is the first Debian URI of this machine's apt sources (override: DEBIAN_MIRROR).
# The repository is bind-mounted at /repo; each interpreter gets a venv in the chroot
# (/opt/venv-3.X) with `pip install -e '.[test-run]'`, then `pytest -q -p no:cacheprovider --no-cov
# -m "not runtime and not tools"` (the `tools` tests need the whole `test` extra: they run on the
# default interpreter) and the Lambda RIE test (tests/integration/test_runtime_lambda_rie.py) on that interpreter.
# A test requirement that cannot install on an interpreter (scripts/runtimes/test_requirements.py
# says which and why) is left out, and only the test files importing it are left out, by name.
# Exits non-zero on any failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root="$repo/.ci/cache/debian-testing"
prepare_only=false
if [[ "${1:-}" == --prepare ]]; then prepare_only=true; shift; fi
minors=("$@")
[[ ${#minors[@]} -gt 0 ]] || minors=(3.14 3.15)

started=$SECONDS
step() { printf '\n===== %s (at %ds)\n' "$*" "$((SECONDS - started))"; }

if [[ $(id -u) -ne 0 ]]; then
    echo "FAILED: $0 needs root (debootstrap, chroot, bind mounts)"
    exit 1
fi

mirror=${DEBIAN_MIRROR:-}
if [[ -z "$mirror" ]]; then
    mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | grep -oE '(https?|file)://[^ ]*/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)
fi
if [[ -z "$mirror" ]]; then
    echo "FAILED: no Debian mirror in /etc/apt/sources.list{,.d}; set DEBIAN_MIRROR"
    exit 1
fi

packages=(nodejs npm redis-server curl)  # node for pyright (tests/unit/test_typing.py) and dynalite, npm for its package; redis-server for the real-store tests; curl for the printed curl commands (tests/unit/test_cli.py, tests/docs)
for minor in "${minors[@]}"; do packages+=("python$minor" "python$minor-venv"); done
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0)

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { # bind SOURCE TARGET-INSIDE-ROOT [ro]
    mkdir -p "$root$2"
    mount --bind "$1" "$root$2"
    mounted+=("$root$2")
    if [[ "${3:-}" == ro ]]; then mount -o remount,bind,ro "$root$2"; fi
}

if [[ ! -f "$root/.complete" ]]; then
    step "debootstrap Debian testing from $mirror"
    command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q debootstrap; }
    rm -rf "$root"
    mkdir -p "$root"
    debootstrap --variant=minbase testing "$root" "$mirror" /usr/share/debootstrap/scripts/sid
    touch "$root/.complete"
fi

bind /proc /proc
bind /dev /dev
bind /dev/pts /dev/pts
bind /sys /sys
bind "$repo" /repo
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The host's CA bundle (the host may reach the registries through a TLS-inspecting proxy), kept
# apart from the chroot's own, which installing ca-certificates there regenerates.
mkdir -p "$root/etc/ssl"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/host-ca-certificates.crt"
# The host's pip configuration (index, find-links, constraints) applies inside too.
for conf in /etc/pip.conf /etc/xdg/pip; do
    if [[ -e "$conf" ]]; then mkdir -p "$root$(dirname "$conf")" && cp -rL "$conf" "$root$(dirname "$conf")/"; fi
done
while read -r dir; do
    [[ -d "$dir" ]] && bind "$dir" "$dir" ro
done < <(pip config list 2>/dev/null | grep -oE "(file://)?/[^' ]+" | sed 's#^file://##' | sort -u)

passed_env=(HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8)
while IFS= read -r -d '' var; do passed_env+=("$var"); done < <(env -0 | grep -zE '^(PIP_|CI=|HYPOTHESIS_)')
ca=/etc/ssl/host-ca-certificates.crt
passed_env+=(PIP_CERT=$ca SSL_CERT_FILE=$ca REQUESTS_CA_BUNDLE=$ca NODE_EXTRA_CA_CERTS=$ca)
in_root() { chroot "$root" /usr/bin/env -i "${passed_env[@]}" "$@"; }

missing=()
for pkg in "${packages[@]}"; do in_root dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [[ ${#missing[@]} -gt 0 ]]; then
    step "apt-get install ${missing[*]} (Debian testing)"
    in_root apt-get "${apt_opts[@]}" update -q
    in_root apt-get "${apt_opts[@]}" install -y -q "${missing[@]}"
fi

for minor in "${minors[@]}"; do
    venv="/opt/venv-$minor"
    leave_out_file="$root$venv/leave-out.args"  # written by the install below; its pytest arguments
    if [[ ! -f "$leave_out_file" || "$repo/pyproject.toml" -nt "$leave_out_file" ]]; then
        step "venv for $(in_root "python$minor" --version) (Debian testing chroot)"
        [[ -x "$root$venv/bin/python" ]] || in_root "python$minor" -m venv "$venv"
        in_root "$venv/bin/python" -m pip install -q --upgrade pip
        # Prints the pytest arguments that leave out what cannot install here, with the reasons.
        if ! in_root "$venv/bin/python" /repo/scripts/runtimes/test_requirements.py install /repo test-run \
            >"$leave_out_file.new"; then
            echo "FAILED: the package or an essential test requirement does not install on Python $minor"
            exit 1
        fi
        mv "$leave_out_file.new" "$leave_out_file"
    fi
    if $prepare_only; then continue; fi
    mapfile -t leave_out <"$leave_out_file"
    step "test suite on $(in_root "python$minor" --version) (Debian testing chroot)"
    in_root /bin/sh -c "cd /repo && exec $venv/bin/python -m pytest -q -p no:cacheprovider --no-cov \
        -m 'not runtime and not tools' ${leave_out[*]}"
    step "examples/lambda_function.py behind the Lambda RIE on Python $minor"
    in_root /bin/sh -c "cd /repo && exec $venv/bin/python -m pytest -q -p no:cacheprovider --no-cov -m runtime \
        tests/integration/test_runtime_lambda_rie.py"
done
if $prepare_only; then
    step "Debian testing: ${minors[*]} prepared in $((SECONDS - started))s"
    exit 0
fi
step "Debian testing: ${minors[*]} green in $((SECONDS - started))s"
