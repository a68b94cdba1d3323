#!/usr/bin/env bash
# Runs every test project (one at a time: several tests measure control timing) and prints one closing line
# "N passed, N failed[, N skipped]" totalled over all projects. Exits non-zero when any test failed.
set -uo pipefail
CONFIG="${1:-Release}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RESULTS="$ROOT/.build/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
cd "$ROOT"
rc=0
for proj in tests/*/*.Tests.csproj; do
  name="$(basename "$proj" .csproj)"
  echo "=== $name" >&2
  dotnet test "$proj" -c "$CONFIG" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$RESULTS" || rc=1
done
passed=0; failed=0; skipped=0; files=0
for trx in "$RESULTS"/*.trx; do
  [[ -f "$trx" ]] || continue
  files=$((files + 1))
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); n=$(get notExecuted)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0})); skipped=$((skipped + ${n:-0}))
done
expected=$(ls tests/*/*.Tests.csproj | wc -l)
if (( files < expected )); then
  echo "only $files of $expected test projects produced results" >&2
  rc=1
fi
if (( failed > 0 )); then rc=1; fi
line="$passed passed, $failed failed"
if (( skipped > 0 )); then line="$line, $skipped skipped"; fi
echo "$line"
exit $rc
