#!/bin/bash
# Custos .deb post-remove: undoes after-install.sh (the command link, the AppArmor profile, the Ledger udev rules).
# Only dollar-brace macros electron-builder knows (executable, sanitizedProductName) may appear here.

APP_DIR='/opt/${sanitizedProductName}'
BIN_NAME='${executable}'

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove "$BIN_NAME" "$APP_DIR/$BIN_NAME" || true
else
    rm -f "/usr/bin/$BIN_NAME"
fi

if [ -f "/etc/apparmor.d/$BIN_NAME" ]; then
    if apparmor_status --enabled >/dev/null 2>&1 && hash apparmor_parser 2>/dev/null; then
        if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
            apparmor_parser --remove "/etc/apparmor.d/$BIN_NAME" || true
        fi
    fi
    rm -f "/etc/apparmor.d/$BIN_NAME"
fi

# On upgrade dpkg runs this too ("upgrade"): the rules are then left for the new version's after-install.
if [ "$1" = "remove" ] || [ "$1" = "purge" ]; then
    rm -f /etc/udev/rules.d/20-custos-ledger.rules
    if command -v udevadm >/dev/null 2>&1; then udevadm control --reload-rules || true; fi
fi

exit 0
