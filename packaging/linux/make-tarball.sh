#!/usr/bin/env bash
# Wrap dist/Hearth/ into dist/<NAME>.tar.gz for Linux users.
#
#   bash packaging/linux/make-tarball.sh NAME ICON_DIR [GLIBC]
#
# NAME is the archive's base name (Hearth-<version>-linux-x86_64[-with-<model>]), and
# also the one folder the archive unpacks to:
#   NAME/Hearth/          the app (start NAME/Hearth/Hearth, or install it)
#   NAME/install.sh       registers Hearth in the applications menu for this user
#   NAME/hearth.desktop   the menu entry (install.sh fills in the path)
#   NAME/hearth.svg, NAME/hearth.png, NAME/icons/   the icon
#   NAME/LICENSES/        licence notices
#   NAME/README.txt
set -euo pipefail
cd "$(dirname "$0")/../.."

NAME="${1:?usage: make-tarball.sh NAME ICON_DIR}"
ICON_DIR="${2:?usage: make-tarball.sh NAME ICON_DIR}"
GLIBC="${3:-2.34}"  # the oldest glibc the bundle runs on (build.sh measures it)
[[ -x dist/Hearth/Hearth ]] || { echo "make-tarball.sh: build dist/Hearth first" >&2; exit 1; }

STAGE="build/tarball/$NAME"
rm -rf "build/tarball"
mkdir -p "$STAGE/icons" "$STAGE/LICENSES"
# Hard links: the stage costs no space or copy time, even with a bundled model.
cp -al dist/Hearth "$STAGE/Hearth" 2>/dev/null || { rm -rf "$STAGE/Hearth"; cp -a dist/Hearth "$STAGE/Hearth"; }
install -m 755 packaging/linux/install.sh "$STAGE/install.sh"
install -m 644 packaging/linux/hearth.desktop "$STAGE/hearth.desktop"
install -m 644 resources/icons/hearth.svg "$STAGE/hearth.svg"
install -m 644 "$ICON_DIR/hearth.png" "$STAGE/hearth.png"
for size in 16 24 32 48 64 128 256 512; do
    install -m 644 "$ICON_DIR/hearth-$size.png" "$STAGE/icons/hearth-$size.png"
done
cp -a dist/Hearth/_internal/resources/licenses/. "$STAGE/LICENSES/"
cat > "$STAGE/README.txt" <<EOF
Hearth: chat privately with an AI model on your own computer
============================================================

Try it without installing:   ./Hearth/Hearth
Install for your user:       ./install.sh
  (adds Hearth to the applications menu and a 'hearth' command; no root needed)
Uninstall:                   ~/.local/opt/hearth/uninstall.sh
  (your chats, settings and downloaded models are kept)

Check that it works on this computer:   ./Hearth/Hearth --self-test

Needs: 64-bit x86 Linux with glibc $GLIBC or newer (check with: ldd --version), an X11
or Wayland desktop, and about 2 GB of free memory for the model.

Licences: see LICENSES/.
EOF

mkdir -p dist
rm -f "dist/$NAME.tar.gz"
# Sorted names, root-owned entries: the same build gives the same listing.
tar --sort=name --owner=0 --group=0 --numeric-owner -C build/tarball -czf "dist/$NAME.tar.gz" "$NAME"
rm -rf "build/tarball"
echo "dist/$NAME.tar.gz"
