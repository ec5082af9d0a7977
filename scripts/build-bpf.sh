#!/usr/bin/env bash
# Compile every bpf/*.c into dist/bpf/*.o with clang (BPF target). Without clang this warns and builds nothing:
# the eBPF datapaths then report "not built" in `cnibench doctor` instead of failing the whole build.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist/bpf
if ! command -v clang >/dev/null 2>&1; then
  echo "build-bpf: clang not found; eBPF datapaths will be unavailable (apt-get install -y clang llvm libbpf-dev)" >&2
  exit 0
fi
arch_include="/usr/include/$(uname -m)-linux-gnu"   # asm/types.h lives here on Debian/Ubuntu
for src in bpf/*.c; do
  obj="dist/bpf/$(basename "${src%.c}").o"
  if [ "$obj" -nt "$src" ] && [ -z "$(find bpf/lib -newer "$obj" 2>/dev/null)" ]; then continue; fi
  clang -O2 -g -Wall -Werror -target bpf -I"$arch_include" -Ibpf/lib -c "$src" -o "$obj"
done
