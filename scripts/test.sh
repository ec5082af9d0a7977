#!/usr/bin/env bash
# The test suite, as CI runs it: install what is missing, build, then run every test (unit and privileged: the
# privileged tests build real namespaces and need root). Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" --with-test-tools
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"   # vitest's "#!/usr/bin/env node" must find the pinned Node, not the system's
npm run --silent typecheck
exec vitest run "$@"
