#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium, which the lineage page's browser test drives
# (cli/tests/lineage_browser.rs). Does nothing when it is already installed.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
# Chromium alone, without the recommended extras (desktop integration, an upgraded systemd):
# the headless tests need none of them, and they would pull about a hundred more packages.
# fonts-liberation is the one recommended package they do need: text in the screenshots.
$sudo_cmd apt-get install -y -qq --no-install-recommends chromium fonts-liberation
