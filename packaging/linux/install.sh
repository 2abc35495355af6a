#!/usr/bin/env bash
# Install Hearth for the current user: no root, nothing outside your home folder.
#
#   ./install.sh                       install or update Hearth
#   ./install.sh --prefix DIR          put the program in DIR (default ~/.local/opt/hearth)
#   ./install.sh --uninstall           remove the program and its menu entry;
#                                      your chats, settings and models are kept
#   ./install.sh --uninstall --remove-user-data
#                                      also delete your chats, settings and models
#
# What it does: copies the Hearth folder to the prefix, adds Hearth to the applications
# menu (~/.local/share/applications), adds its icon (~/.local/share/icons/hicolor) and a
# `hearth` command (~/.local/bin). An installed copy of this script,
# <prefix>/uninstall.sh, removes all of that again.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
PREFIX="${HEARTH_PREFIX:-$HOME/.local/opt/hearth}"
BIN_DIR="$HOME/.local/bin"
APPS_DIR="$DATA_HOME/applications"
ICON_ROOT="$DATA_HOME/icons/hicolor"
DESKTOP_FILE="$APPS_DIR/hearth.desktop"
MARKER=".hearth-install"   # only a folder holding this file is ever deleted
ICON_SIZES="16 24 32 48 64 128 256 512"

mode=install
remove_user_data=0
# Installed as <prefix>/uninstall.sh, the script uninstalls the copy it sits in.
if [[ "$(basename "$0")" == "uninstall.sh" && -f "$HERE/$MARKER" ]]; then
    mode=uninstall
    PREFIX="$HERE"
fi

while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) PREFIX="${2:?--prefix needs a folder}"; shift 2 ;;
        --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
        --uninstall) mode=uninstall; shift ;;
        --remove-user-data) remove_user_data=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
PREFIX="$(realpath -m -- "$PREFIX")"

refresh_desktop_caches() {
    # Best effort: desktops that need these caches refresh them; others ignore them.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPS_DIR" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [[ -f "$ICON_ROOT/index.theme" ]]; then
        gtk-update-icon-cache -q -t "$ICON_ROOT" 2>/dev/null || true
    fi
}

# The launcher file, pointing at the installed program. Exec is quoted (the path may
# hold spaces); paths with characters the desktop-entry format would need escaped are
# refused before anything is copied.
write_desktop_file() {
    local line
    while IFS= read -r line; do
        case "$line" in
            Exec=*) printf 'Exec="%s"\n' "$PREFIX/Hearth" ;;
            TryExec=*) printf 'TryExec=%s\n' "$PREFIX/Hearth" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$HERE/hearth.desktop" > "$DESKTOP_FILE.tmp"
    chmod 644 "$DESKTOP_FILE.tmp"
    mv "$DESKTOP_FILE.tmp" "$DESKTOP_FILE"
}

user_data_dirs() {
    # Where Hearth keeps your data (the platformdirs locations for "Hearth").
    printf '%s\n' \
        "${XDG_DATA_HOME:-$HOME/.local/share}/Hearth" \
        "${XDG_CONFIG_HOME:-$HOME/.config}/Hearth" \
        "${XDG_CACHE_HOME:-$HOME/.cache}/Hearth" \
        "${XDG_STATE_HOME:-$HOME/.local/state}/Hearth"
}

do_install() {
    if [[ ! -x "$HERE/Hearth/Hearth" ]]; then
        echo "install.sh: no Hearth/Hearth next to this script; run it from the unpacked archive." >&2
        exit 1
    fi
    case "$PREFIX" in
        "$HOME"|"$HOME/"|/|"$DATA_HOME"|"$DATA_HOME/Hearth")
            echo "install.sh: refusing to install into $PREFIX; choose an empty folder." >&2
            exit 1 ;;
    esac
    if [[ "$PREFIX" == *[\"\`\$\\%]* ]]; then
        echo "install.sh: the folder name $PREFIX holds a character (\" \` \$ \\ %) that a" \
            "menu launcher cannot use; choose another --prefix." >&2
        exit 1
    fi
    if [[ -e "$PREFIX" && ! -f "$PREFIX/$MARKER" && -n "$(ls -A "$PREFIX" 2>/dev/null)" ]]; then
        echo "install.sh: $PREFIX exists and is not a Hearth install; choose another --prefix." >&2
        exit 1
    fi

    echo "Installing Hearth into $PREFIX"
    mkdir -p "$(dirname "$PREFIX")"
    local staging="$PREFIX.new.$$"
    rm -rf "$staging"
    cp -a "$HERE/Hearth" "$staging"
    cp "$HERE/install.sh" "$staging/uninstall.sh"
    chmod +x "$staging/uninstall.sh"
    if [[ -d "$HERE/LICENSES" ]]; then cp -a "$HERE/LICENSES" "$staging/LICENSES"; fi
    echo "Hearth installed by install.sh; uninstall.sh removes this folder." > "$staging/$MARKER"
    # Swap the new copy in; the old one is removed only once the new one is in place.
    if [[ -d "$PREFIX" ]]; then
        mv "$PREFIX" "$PREFIX.old.$$"
        mv "$staging" "$PREFIX"
        rm -rf "$PREFIX.old.$$"
    else
        mv "$staging" "$PREFIX"
    fi

    mkdir -p "$APPS_DIR" "$ICON_ROOT/scalable/apps"
    write_desktop_file

    cp "$HERE/hearth.svg" "$ICON_ROOT/scalable/apps/hearth.svg"
    for size in $ICON_SIZES; do
        if [[ -f "$HERE/icons/hearth-$size.png" ]]; then
            mkdir -p "$ICON_ROOT/${size}x${size}/apps"
            cp "$HERE/icons/hearth-$size.png" "$ICON_ROOT/${size}x${size}/apps/hearth.png"
        fi
    done

    mkdir -p "$BIN_DIR"
    if [[ ! -e "$BIN_DIR/hearth" || -L "$BIN_DIR/hearth" ]]; then
        ln -sfn "$PREFIX/Hearth" "$BIN_DIR/hearth"
    else
        echo "note: $BIN_DIR/hearth exists and is not a link; the hearth command was not added."
    fi
    refresh_desktop_caches

    echo "Done. Start Hearth from your applications menu, or run: $PREFIX/Hearth"
    echo "To remove it later: $PREFIX/uninstall.sh (your chats and models are kept)."
}

do_uninstall() {
    echo "Removing Hearth from $PREFIX"
    rm -f "$DESKTOP_FILE"
    rm -f "$ICON_ROOT/scalable/apps/hearth.svg"
    for size in $ICON_SIZES; do
        rm -f "$ICON_ROOT/${size}x${size}/apps/hearth.png"
    done
    if [[ -L "$BIN_DIR/hearth" && "$(readlink "$BIN_DIR/hearth")" == "$PREFIX/Hearth" ]]; then
        rm -f "$BIN_DIR/hearth"
    fi
    if [[ -f "$PREFIX/$MARKER" ]]; then
        rm -rf "$PREFIX"
    elif [[ -e "$PREFIX" ]]; then
        echo "note: $PREFIX was not installed by install.sh; left as it is." >&2
    fi
    refresh_desktop_caches

    if [[ "$remove_user_data" == 1 ]]; then
        while IFS= read -r dir; do
            if [[ -d "$dir" ]]; then
                rm -rf "$dir"
                echo "Deleted $dir"
            fi
        done < <(user_data_dirs)
        echo "Hearth and your Hearth data are removed."
    else
        local kept=()
        while IFS= read -r dir; do
            if [[ -d "$dir" ]]; then kept+=("$dir"); fi
        done < <(user_data_dirs)
        if [[ ${#kept[@]} -eq 0 ]]; then
            echo "Hearth is removed."
        else
            echo "Hearth is removed. Your chats, settings and downloaded models are kept in:"
            printf '  %s\n' "${kept[@]}"
            echo "Delete those folders (or run with --uninstall --remove-user-data) to remove them too."
        fi
    fi
}

if [[ "$mode" == install ]]; then
    do_install
else
    do_uninstall
fi
