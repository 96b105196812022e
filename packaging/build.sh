#!/usr/bin/env bash
# Build Wardlink's installers: packaging/build.sh bundle|deb|msi [more targets ...]
#
#   bundle  the PyInstaller one-folder bundle   -> dist/bundle/wardlink/
#   deb     the Debian package (builds the bundle first)   -> dist/wardlink_<version>_<arch>.deb
#   msi     the MSI, built with wixl over a staged copy of the bundle  -> dist/wardlink-<version>.msi
#           (on Linux this proves the WiX source and its properties; the MSI that Windows PCs
#           install is built by the Windows workflow with WiX 3 over a Windows bundle)
#
# Several targets in one call share one bundle build. PYTHON names the interpreter that has
# Wardlink and the `packaging` extra installed (default: the repository's .venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packaging="$root/packaging"
dist="$root/dist"
python="${PYTHON:-$root/.venv/bin/python}"

usage() {
    echo "usage: packaging/build.sh bundle|deb|msi [more targets ...]" >&2
    exit 2
}

say() { echo "build.sh: $*" >&2; }

need() {
    local tool="$1" package="$2"
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "$tool is missing: install the Debian package '$package' (./dev package-check does)."
        exit 1
    fi
}

version() { "$python" -c 'import wardlink; print(wardlink.__version__)'; }

# 0.1.0.dev0 -> 0.1.0~dev0: Debian sorts "~" before anything, as PEP 440 sorts .dev releases.
debian_version() { version | sed -E 's/\.?(dev|a|b|rc)/~\1/'; }

# MSI versions are numbers only (major.minor.build): 0.1.0.dev0 -> 0.1.0.
msi_version() { version | sed -E 's/^([0-9]+(\.[0-9]+){0,2}).*/\1/'; }

build_bundle() {
    if ! "$python" -c 'import PyInstaller' 2>/dev/null; then
        say "PyInstaller is missing from $python: install the extra, pip install -e '.[packaging]'"
        exit 1
    fi
    local started=$SECONDS
    say "rendering the icons ..."
    "$python" "$packaging/render_icons.py" "$dist/icons" >/dev/null
    say "building the bundle with PyInstaller (dist/bundle/wardlink) ..."
    rm -rf "$dist/bundle"
    "$python" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$dist/bundle" --workpath "$root/build/pyinstaller" \
        "$packaging/pyinstaller/wardlink.spec"
    say "bundle built in $((SECONDS - started)) s: $(du -sh "$dist/bundle/wardlink" | cut -f1)"
}

build_deb() {
    need dpkg-deb dpkg
    local bundle="$dist/bundle/wardlink" stage="$dist/deb/wardlink" arch version deb
    arch="$(dpkg --print-architecture)"
    version="$(debian_version)"
    deb="$dist/wardlink_${version}_${arch}.deb"
    rm -rf "$dist/deb"
    mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
        "$stage/usr/share/doc/wardlink" "$stage/etc/wardlink"
    cp -a "$bundle" "$stage/opt/wardlink"
    ln -s /opt/wardlink/wardlink "$stage/usr/bin/wardlink"
    install -m 0644 "$packaging/debian/wardlink.desktop" "$stage/usr/share/applications/"
    for size in 48 128 256; do
        install -D -m 0644 "$dist/icons/wardlink-$size.png" \
            "$stage/usr/share/icons/hicolor/${size}x${size}/apps/wardlink.png"
    done
    install -m 0644 "$packaging/debian/policy.toml" "$stage/etc/wardlink/policy.toml"
    install -m 0644 "$packaging/debian/copyright" "$stage/usr/share/doc/wardlink/copyright"
    echo "/etc/wardlink/policy.toml" >"$stage/DEBIAN/conffiles"
    chmod -R u=rwX,go=rX "$stage"
    sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" \
        -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$stage" | cut -f1)/" \
        "$packaging/debian/control.in" >"$stage/DEBIAN/control"
    say "building the Debian package ..."
    dpkg-deb --root-owner-group -Zgzip -z6 --build "$stage" "$deb" >/dev/null
    rm -rf "$dist/deb"
    say "built $deb ($(du -h "$deb" | cut -f1))"
}

build_msi() {
    need wixl wixl
    need wixl-heat wixl
    need msibuild msitools
    local version out
    version="$(msi_version)"
    out="$dist/wardlink-$version.msi"
    say "building the MSI with wixl over a staged bundle ..."
    "$python" "$packaging/windows/wixl_msi.py" build --bundle "$dist/bundle/wardlink" \
        --icon "$dist/icons/wardlink.ico" --version "$version" --work "$dist/msi" --out "$out"
    rm -rf "$dist/msi"
    say "built $out ($(du -h "$out" | cut -f1))"
}

[[ $# -ge 1 ]] || usage
for target in "$@"; do
    case "$target" in
        bundle | deb | msi) ;;
        *) usage ;;
    esac
done
build_bundle
for target in "$@"; do
    case "$target" in
        deb) build_deb ;;
        msi) build_msi ;;
    esac
done
