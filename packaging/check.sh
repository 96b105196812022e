#!/usr/bin/env bash
# The packaging check (`./dev package-check`): build the bundle, the Debian package and the MSI,
# then prove them on this machine:
#   - the bundle holds its Qt plugins, SQLCipher, keyring backends and forms;
#   - the MSI (wixl) writes a registry value for every machine policy property, only when set;
#   - the record server's nginx configuration passes `nginx -t` (an unpacked nginx, not installed);
#   - the .deb installs; `wardlink` on PATH passes `--self-test` against a local record server,
#     under a private Secret Service, with the policy in /etc/wardlink/policy.toml; the app starts
#     offscreen (and on a virtual X display when one can be had) and draws its first window;
#   - purging it leaves nothing behind (a file listing before and after).
# The package is purged in an EXIT trap, so a failure never leaves it installed. Needs root (it
# installs a package), Debian's tools (installed with apt-get when missing) and .venv with the
# `packaging` extra (./dev sets that up).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"
started=$SECONDS

say() { echo "package-check: $*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}

if [[ "$(id -u)" != 0 ]]; then
    fail "it installs and purges a Debian package, so it must run as root"
fi
if dpkg-query -W -f='${Status}' wardlink 2>/dev/null | grep -q "installed"; then
    fail "a wardlink package is already installed here; purge it first (dpkg --purge wardlink)"
fi

# --- tools ------------------------------------------------------------------------------------
deb_depends() {
    sed -n 's/^Depends: //p' packaging/debian/control.in | tr ',' '\n' | sed -E 's/\(.*\)//; s/ //g'
}

missing=()
for pair in wixl:wixl wixl-heat:wixl msiinfo:msitools msibuild:msitools dpkg-deb:dpkg \
    gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus xvfb-run:xvfb xauth:xauth; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
for package in $(deb_depends); do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]} ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

work="$(mktemp -d -t wardlink-package-check.XXXXXX)"
server_pid=""
installed=""
cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -n "$installed" ]]; then
        dpkg --purge wardlink >/dev/null 2>&1 || say "could not purge the wardlink package"
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ------------------------------------------------------------------------------------
build_started=$SECONDS
PYTHON="$venv/bin/python" packaging/build.sh bundle deb msi
say "built the bundle, the .deb and the MSI in $((SECONDS - build_started)) s"
"$venv/bin/python" packaging/pyinstaller/bundle_contents.py dist/bundle/wardlink >&2
deb="$(ls -t dist/wardlink_*.deb | head -n 1)"
msi="$(ls -t dist/wardlink-*.msi | head -n 1)"

# --- the MSI's tables -------------------------------------------------------------------------
"$venv/bin/python" packaging/windows/wixl_msi.py check "$msi" >&2
msiinfo export "$msi" Registry | grep -F 'SOFTWARE\Policies\Wardlink' >&2
msiinfo export "$msi" Property | grep -E '^(SecureCustomProperties|UpgradeCode|ALLUSERS)' >&2

# --- the record server's files: nginx -t with an unpacked nginx, systemd-analyze verify --------
(cd "$work" && apt-get download -qq nginx >/dev/null 2>&1 && dpkg-deb -x nginx_*.deb nginx) ||
    say "could not fetch nginx; its configuration is only parse-checked"
if [[ -x "$work/nginx/usr/sbin/nginx" ]]; then
    export WARDLINK_NGINX="$work/nginx/usr/sbin/nginx"
fi
"$root/dev" test tests/packaging -q >&2
unset WARDLINK_NGINX

# --- install ----------------------------------------------------------------------------------
snapshot() {
    {
        find /opt /usr/bin /usr/share/applications /usr/share/icons/hicolor /usr/share/doc \
            /etc /var/lib/dpkg/info -xdev 2>/dev/null || true
        find /root /home -maxdepth 4 -iname '*wardlink*' 2>/dev/null || true
    } | sort
}
snapshot >"$work/before.txt"
say "installing $deb ..."
installed=yes
dpkg -i "$deb" >/dev/null
for path in /opt/wardlink/wardlink /usr/bin/wardlink /usr/share/applications/wardlink.desktop \
    /usr/share/icons/hicolor/256x256/apps/wardlink.png /etc/wardlink/policy.toml; do
    [[ -e "$path" ]] || fail "the package did not install $path"
done
[[ "$(command -v wardlink)" == /usr/bin/wardlink ]] || fail "wardlink is not on PATH"
dpkg-query -W -f='${Conffiles}\n' wardlink | grep -q /etc/wardlink/policy.toml ||
    fail "/etc/wardlink/policy.toml is not a conffile"
say "installed: $(wardlink --version)"

# --- a local record server (SQLite, the demo board) -------------------------------------------
db="sqlite:///$work/record-server.db"
"$venv/bin/wardlink-server" demo --database "$db" >/dev/null
"$venv/bin/wardlink-server" serve --database "$db" --host 127.0.0.1 --port 0 \
    >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 300); do
    url="$(sed -n 's/^wardlink-server listening on //p' "$work/server.out" | head -n 1)"
    [[ -n "$url" ]] && break
    kill -0 "$server_pid" 2>/dev/null || {
        tail -n 20 "$work/server.log" >&2
        fail "the record server did not start"
    }
    sleep 0.1
done
[[ -n "$url" ]] || fail "the record server did not say where it listens"

# The machine policy where the package put it, pointing at that server (purge removes the
# edited file too), and a private home, data folder and Secret Service for the app.
mkdir -p "$work/home/run" "$work/profiles"
chmod 700 "$work/home" "$work/home/run" "$work/profiles"
cat >>/etc/wardlink/policy.toml <<POLICY

# Set by the packaging check.
server_url = "$url"
data_dir = "$work/profiles"
POLICY
head -c 24 /dev/urandom | base64 >"$work/keyring-password"

in_private_session() {
    env -u WARDLINK_POLICY_FILE -u WARDLINK_RESOURCES HOME="$work/home" \
        XDG_DATA_HOME="$work/home/.local/share" XDG_CONFIG_HOME="$work/home/.config" \
        XDG_CACHE_HOME="$work/home/.cache" XDG_RUNTIME_DIR="$work/home/run" \
        dbus-run-session -- bash -c '
            gnome-keyring-daemon --unlock --components=secrets <"$1" >/dev/null 2>&1
            shift
            exec "$@"' _ "$work/keyring-password" "$@" 2> >(grep -v "Failed to set fd limit" >&2)
}

# --- the installed app: self-test and first window --------------------------------------------
say "wardlink --self-test --server $url --json ..."
if ! in_private_session timeout 120 wardlink --self-test --server "$url" --json >"$work/self-test.json"; then
    cat "$work/self-test.json" >&2
    fail "wardlink --self-test did not pass"
fi
"$venv/bin/python" - "$work/self-test.json" <<'PY' >&2
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
for check in report["checks"]:
    print(f"  {check['name']:<12} {check['status']:<5} {check['detail']}")
if not report["passed"]:
    sys.exit("the self-test report says it did not pass")
PY

say "wardlink --smoke-start (offscreen) ..."
in_private_session env QT_QPA_PLATFORM=offscreen timeout 120 wardlink --smoke-start ||
    fail "the app did not draw its first window offscreen"
if command -v xvfb-run >/dev/null 2>&1; then
    say "wardlink --smoke-start (X11, on a virtual display) ..."
    in_private_session env QT_QPA_PLATFORM=xcb timeout 120 xvfb-run -a wardlink --smoke-start ||
        fail "the app did not draw its first window on X11"
fi

# --- purge: nothing left behind ---------------------------------------------------------------
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
say "purging the package ..."
dpkg --purge wardlink >/dev/null
installed=""
for path in /opt/wardlink /usr/bin/wardlink /usr/share/applications/wardlink.desktop \
    /usr/share/icons/hicolor/256x256/apps/wardlink.png /etc/wardlink; do
    [[ ! -e "$path" && ! -L "$path" ]] || fail "purging left $path behind"
done
snapshot >"$work/after.txt"
if ! diff "$work/before.txt" "$work/after.txt" >"$work/left.txt"; then
    cat "$work/left.txt" >&2
    fail "the file listing after purging differs from the one before installing"
fi
say "purged: no file left behind (the profiles in the policy's data_dir are the user's own)"
say "passed in $((SECONDS - started)) s (bundle $(du -sh dist/bundle/wardlink | cut -f1)," \
    ".deb $(du -h "$deb" | cut -f1), MSI $(du -h "$msi" | cut -f1))"
