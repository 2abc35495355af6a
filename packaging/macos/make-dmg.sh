#!/usr/bin/env bash
# Wrap dist/Hearth.app into dist/Hearth-<version>-macos.dmg (drag-to-Applications).
#
# UNTESTED: written without access to a Mac; it has never been run. See README.md here
# and docs/PACKAGING.md.
#
#   bash packaging/macos/make-dmg.sh [VERSION]
#
# Optional signing (both untested): set CODESIGN_IDENTITY="Developer ID Application: ..."
# to sign the app and the image; then notarize with NOTARY_PROFILE (a keychain profile
# made by `xcrun notarytool store-credentials`).
set -euo pipefail
cd "$(dirname "$0")/../.."

[[ "$(uname -s)" == Darwin ]] || { echo "make-dmg.sh: runs on macOS only (needs hdiutil)" >&2; exit 1; }
APP=dist/Hearth.app
[[ -d "$APP" ]] || { echo "make-dmg.sh: build $APP first (bash packaging/build.sh)" >&2; exit 1; }
VERSION="${1:-$(.venv/bin/python -c 'import app; print(app.__version__)')}"
ARCH="$(uname -m)"
DMG="dist/Hearth-$VERSION-macos-$ARCH.dmg"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    # Hardened runtime is required for notarization.
    codesign --force --deep --options runtime --timestamp -s "$CODESIGN_IDENTITY" "$APP"
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
cp -R dist/Hearth.app/Contents/Resources/resources/licenses "$STAGE/Licenses" 2>/dev/null || true

rm -f "$DMG"
hdiutil create -volname "Hearth $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --timestamp -s "$CODESIGN_IDENTITY" "$DMG"
    if [[ -n "${NOTARY_PROFILE:-}" ]]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
    fi
fi
echo "$DMG"
