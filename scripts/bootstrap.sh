#!/usr/bin/env bash
# Make this checkout ready to run, on Debian or Ubuntu, as root: install the system packages cnibench uses that are
# missing, install the npm dependencies (which include the Node 24 runtime cnibench runs on), and build (TypeScript
# and the BPF objects). Each step runs only when needed, so this is quick when everything is already in place.
# Usage: scripts/bootstrap.sh [--quiet] [--with-test-tools]
#   --quiet            print only when something is installed or built
#   --with-test-tools  also install what only the test suite uses (a headless browser for the report's tests)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quiet=false
test_tools=false
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=true ;;
    --with-test-tools) test_tools=true ;;
    *) echo "bootstrap: unknown option $arg (use --quiet, --with-test-tools)" >&2; exit 2 ;;
  esac
done
say() { $quiet || echo "bootstrap: $*"; }
loud() { echo "bootstrap: $*" >&2; }

# System packages, by what needs them (src/system/packages.ts maps each program to its package; keep in step).
APT_PACKAGES=(
  iproute2 procps iputils-ping ethtool tcpdump   # namespaces, devices, sysctls, path checks
  iperf3 sockperf                                # traffic engines
  bird2                                          # Calico BGP control plane
  clang llvm libbpf-dev libc6-dev bpftool        # eBPF datapaths and the cnb-crr engine (built with clang)
  openvswitch-switch                             # OVS datapaths
  iptables nftables ipset                        # policy and Service variants (rules live in lab namespaces only)
  ca-certificates                                # npm over TLS
)
# Only the test suite needs these: Debian's Chromium, driven by playwright-core, opens the HTML report and dashboard.
TEST_APT_PACKAGES=(chromium)
$test_tools && APT_PACKAGES+=("${TEST_APT_PACKAGES[@]}")

# One dpkg-query for all packages and no other process per package: this runs before every ./cnibench command.
missing_packages() {
  local installed p
  installed=$'\n'$(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null)$'\n'
  for p in "${APT_PACKAGES[@]}"; do
    [[ $installed == *$'\n'"$p install ok installed"$'\n'* ]] || echo "$p"
  done
  command -v npm >/dev/null 2>&1 || echo npm
}

install_packages() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && { say "system packages present"; return; }
  if [ "$(id -u)" -ne 0 ]; then
    loud "missing system packages: $missing; run this as root (sudo $0)"; exit 1
  fi
  loud "installing system packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  local installable=() p
  for p in $missing; do
    if apt-cache show --no-all-versions "$p" >/dev/null 2>&1; then installable+=("$p")
    else loud "package $p is not available on this distribution; features that need it will say so in 'cnibench doctor'"; fi
  done
  # Packages such as openvswitch-switch and bird2 start system daemons on install. cnibench runs its own, per lab,
  # and must not leave the host's services changed: a temporary policy-rc.d forbids starting services meanwhile.
  local policy=/usr/sbin/policy-rc.d own_policy=false
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; own_policy=true; fi
  apt-get install -y -qq --no-install-recommends "${installable[@]}" >/dev/null || { $own_policy && rm -f "$policy"; exit 1; }
  $own_policy && rm -f "$policy"
  return 0
}

install_npm_dependencies() {
  local want have=""
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f node_modules/.cnibench-lock ] && have=$(cat node_modules/.cnibench-lock)
  if [ "$want" = "$have" ] && [ -x node_modules/.bin/node ]; then say "npm dependencies present"; return; fi
  loud "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" >node_modules/.cnibench-lock
}

build() {
  local stamp=dist/.build-stamp
  if [ -f "$stamp" ] && [ -z "$(find src bpf tools package.json tsconfig.json -newer "$stamp" -print -quit)" ]; then
    say "build up to date"; return
  fi
  loud "building (TypeScript and BPF objects)"
  PATH="$root/node_modules/.bin:$PATH" npm run --silent build
  touch "$stamp"
}

install_packages
install_npm_dependencies
build
