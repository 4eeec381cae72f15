#!/bin/bash
# Custos .deb post-install: links the executable, sets up Chromium's sandbox, and installs the Ledger udev rules.
# electron-builder fills the dollar-brace macros (executable, sanitizedProductName) and refuses any other, so the
# shell variables below are written without braces. This replaces electron-builder's default script; the first part
# keeps what that default does.

APP_DIR='/opt/${sanitizedProductName}'
BIN_NAME='${executable}'

# The command on PATH.
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --install "/usr/bin/$BIN_NAME" "$BIN_NAME" "$APP_DIR/$BIN_NAME" 100 || ln -sf "$APP_DIR/$BIN_NAME" "/usr/bin/$BIN_NAME"
else
    ln -sf "$APP_DIR/$BIN_NAME" "/usr/bin/$BIN_NAME"
fi

# Chromium's SUID sandbox helper is needed only where unprivileged user namespaces do not work.
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; } 2>/dev/null; then
    chmod 4755 "$APP_DIR/chrome-sandbox" || true
else
    chmod 0755 "$APP_DIR/chrome-sandbox" || true
fi

# Ubuntu 24.04+ restricts user namespaces by AppArmor profile; electron-builder ships one in resources/.
if apparmor_status --enabled >/dev/null 2>&1 && hash apparmor_parser 2>/dev/null; then
    if apparmor_parser --skip-kernel-load --debug "$APP_DIR/resources/apparmor-profile" >/dev/null 2>&1; then
        cp -f "$APP_DIR/resources/apparmor-profile" "/etc/apparmor.d/$BIN_NAME"
        if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
            apparmor_parser --replace --write-cache --skip-read-cache "/etc/apparmor.d/$BIN_NAME" || true
        fi
    fi
fi

if hash update-mime-database 2>/dev/null; then update-mime-database /usr/share/mime || true; fi
if hash update-desktop-database 2>/dev/null; then update-desktop-database /usr/share/applications || true; fi

# Ledger udev rules: without them a USB Ledger is invisible to a non-root user.
RULES_SOURCE="$APP_DIR/resources/linux/20-ledger.rules"
RULES_TARGET='/etc/udev/rules.d/20-custos-ledger.rules'
if [ -f "$RULES_SOURCE" ]; then
    mkdir -p /etc/udev/rules.d
    cp -f "$RULES_SOURCE" "$RULES_TARGET"
    chmod 0644 "$RULES_TARGET"
    # Containers and chroots have no udevadm or no running udev: the rules still apply on the next boot.
    if command -v udevadm >/dev/null 2>&1; then
        udevadm control --reload-rules && udevadm trigger || echo "Custos: udev did not reload; replug your Ledger or reboot."
    else
        echo "Custos: udevadm not found; the Ledger rules take effect after a reboot."
    fi
fi

exit 0
