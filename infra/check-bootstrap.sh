#!/usr/bin/env bash
# Checks one built Lambda `bootstrap`: an ELF executable for the architecture, needing no
# glibc newer than provided.al2023's (2.34); prints its size. Sourced by the build scripts:
#   check_bootstrap NAME PATH ARCH   # returns 1 (after saying why) when the binary fails
al2023_glibc="2.34"

check_bootstrap() {
  local name=$1 bin=$2 arch=$3 machine
  case "$arch" in
    x86_64) machine="X86-64" ;;
    arm64) machine="AArch64" ;;
    *) echo "check-bootstrap: architecture must be x86_64 or arm64, not '$arch'" >&2; return 2 ;;
  esac
  if [ ! -x "$bin" ]; then
    echo "check-bootstrap: $bin was not built" >&2
    return 1
  fi
  local ok=0
  if ! readelf -h "$bin" | grep -q "Machine:.*$machine"; then
    echo "check-bootstrap: $bin is not an $arch executable" >&2
    ok=1
  fi
  # The newest glibc symbol version it needs must exist on provided.al2023.
  local needs
  needs=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
  if [ -n "$needs" ] && [ "$(printf '%s\n%s\n' "$needs" "$al2023_glibc" | sort -V | tail -1)" != "$al2023_glibc" ]; then
    echo "check-bootstrap: $bin needs GLIBC_$needs, newer than provided.al2023's $al2023_glibc" >&2
    ok=1
  fi
  local size
  size=$(stat -c %s "$bin")
  awk -v f="$name" -v a="$arch" -v s="$size" -v g="${needs:-none}" \
    'BEGIN { printf "lambda %-26s %s bootstrap, %d bytes (%.1f MiB), needs glibc %s\n", f, a, s, s / 1048576, g }'
  return "$ok"
}
