#!/usr/bin/env bash
# Compile cnibench's C parts with clang: bpf/*.c into eBPF objects (dist/bpf/*.o) and tools/*.c into host programs
# (dist/bin/*, e.g. the cnb-crr TCP_CRR engine). Without clang this warns and builds nothing: the datapaths and
# engines that need them then say "not built" in `cnibench doctor` instead of failing the whole build.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist/bpf dist/bin
if ! command -v clang >/dev/null 2>&1; then
  echo "build-native: clang not found; eBPF datapaths and cnb-crr will be unavailable (apt-get install -y clang llvm libbpf-dev)" >&2
  exit 0
fi
newer() { [ ! -e "$2" ] || [ -n "$(find "$1" bpf/lib tools/lib -newer "$2" -print -quit 2>/dev/null)" ]; }
arch_include="/usr/include/$(uname -m)-linux-gnu"   # asm/types.h lives here on Debian/Ubuntu
for src in bpf/*.c; do
  obj="dist/bpf/$(basename "${src%.c}").o"
  newer "$src" "$obj" && clang -O2 -g -Wall -Werror -target bpf -I"$arch_include" -Ibpf/lib -c "$src" -o "$obj"
done
for src in tools/*.c; do
  bin="dist/bin/$(basename "${src%.c}")"
  newer "$src" "$bin" && clang -O2 -Wall -Werror -pthread -Itools/lib -o "$bin" "$src" -lm
done
exit 0
