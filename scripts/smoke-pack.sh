#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (prepack bundles dist/), the tarball installed into a temporary
# prefix, and its commands run from outside the repository on every Node given — this machine's and the
# current LTS installed from the npm registry. Proves the bundle carries its dependencies (nothing is
# resolved from the repo's node_modules) and that `engines` is honest.
#   scripts/smoke-pack.sh [node-binary …]   (default: the node on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/jwtcheck-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
prefix="$work/prefix"
# No dependencies to fetch: the install is offline and takes a second.
npm install --global --offline --no-audit --no-fund --silent --prefix "$prefix" "$work/$tarball"
token="$(cat examples/seed-httpbin-foo/token.jwt)"

nodes=("$@")
[ "${#nodes[@]}" -gt 0 ] || nodes=("$(command -v node)")
for node in "${nodes[@]}"; do
  bin="$(cd "$(dirname "$node")" && pwd)"
  # The installed bins start with `#!/usr/bin/env node`: the node under test comes first on PATH.
  run() { (cd "$work" && env -i PATH="$bin:$prefix/bin:/usr/bin:/bin" HOME="$work" "$@"); }
  echo "::: packed $tarball on Node $(run node --version)"
  run jwtcheck --version
  run jwtcheck decode "$token" | grep 'Token fingerprint: d553318b51c1' >/dev/null
  # -o yaml loads a CommonJS dependency lazily from a split chunk: the bundle's interop must hold.
  run jwtcheck decode "$token" -o yaml | grep '^fingerprint: d553318b51c1' >/dev/null
  run jwtcheck demo -o json | grep '"version": 1' >/dev/null
  run jwtcheck demo | grep 'FAIL  token.time: expired 1 d 19 h ago' >/dev/null
  run jwtcheck diagnose --help | grep -- '--kubeconfig PATH' >/dev/null
  run kubectl-jwtcheck --help | grep 'kubectl jwtcheck' >/dev/null
  echo "    --version, decode (text and yaml), demo, diagnose --help, kubectl-jwtcheck --help: ok"
done
