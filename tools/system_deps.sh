#!/usr/bin/env bash
# Make sure the system programs a make target needs are installed, before it runs.
#
#   tools/system_deps.sh WHAT PACKAGE[:COMMAND,COMMAND...]...
#
# WHAT names the target in messages ("make test"). Each PACKAGE is the Debian/Ubuntu package
# that provides one of its COMMANDs (by default the command of the same name); it is present
# when any of those commands is on PATH. Missing packages are installed with apt-get when this
# can be done without asking (as root, or with passwordless sudo); otherwise the script stops
# with one line naming the command to run. Nothing is printed when everything is present.
#
# SYSTEM_DEPS_UID, when set, is used instead of the real user id (to try the not-root path).
set -euo pipefail

what=$1
shift

# The packages none of whose commands is on PATH, in the array `missing`.
find_missing() {
    missing=()
    local spec package name found
    local -a names
    for spec in "$@"; do
        package=${spec%%:*}
        IFS=, read -r -a names <<< "${spec#*:}"
        found=
        for name in "${names[@]}"; do
            if command -v "$name" >/dev/null 2>&1; then
                found=yes
                break
            fi
        done
        [[ -n $found ]] || missing+=("$package")
    done
}

find_missing "$@"
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
# "a", "a and b", "a, b and c"
listed() {
    local last=${*: -1}
    if [[ $# -gt 1 ]]; then
        local IFS=,
        local head="${*:1:$#-1}"
        echo "${head//,/, } and $last"
    else
        echo "$last"
    fi
}

needs="$what needs $(listed "${missing[@]}") (not found on PATH)"
install="sudo apt-get install -y ${missing[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "$needs: install with your system's package manager (on Debian or Ubuntu: \`$install\`), then run $what again." >&2
    exit 1
fi
if [[ ${SYSTEM_DEPS_UID:-$EUID} -eq 0 ]]; then
    as_root=(env)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n env)
else
    echo "$needs: run \`$install\`, then $what again." >&2
    exit 1
fi

echo "$what: installing ${missing[*]} with apt-get" >&2
if ! "${as_root[@]}" apt-get update -qq >/dev/null \
    || ! "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
    echo "$needs and installing with apt-get failed (above): run \`$install\`, then $what again." >&2
    exit 1
fi
find_missing "$@"
if [[ ${#missing[@]} -ne 0 ]]; then
    echo "$what needs $(listed "${missing[@]}"): installed with apt-get, but still not found on PATH." >&2
    exit 1
fi
