#!/usr/bin/env bash
# Installs what the tests need that npm cannot bring: Debian's Chromium (the E2E browser; the
# tests never download one), Debian's Firefox ESR (the E2E tests' second browser, driven by
# puppeteer-core: tests/support/firefox.ts), coturn (the real TURN relay the network tests start on loopback) and
# PulseAudio with its tools (the private sound server the real-output tests record from:
# tests/support/pulse.ts), and WebKitGTK's WebDriver server with Xvfb (the WebKit test drives
# MiniBrowser on a private X display: tests/support/webkit.ts).
# Does nothing when they are already there. Uses sudo when not root.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v pulseaudio >/dev/null 2>&1 || need+=(pulseaudio)
command -v parec >/dev/null 2>&1 || need+=(pulseaudio-utils)
command -v WebKitWebDriver >/dev/null 2>&1 || need+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
if [ ${#need[@]} -eq 0 ]; then
  echo "Test dependencies present (chromium, firefox-esr, coturn, pulseaudio, pulseaudio-utils, webkit2gtk-driver, xvfb)."
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "Installing with apt: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "Installed: ${need[*]}"
