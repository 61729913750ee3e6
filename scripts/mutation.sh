#!/usr/bin/env bash
# Usage: scripts/mutation.sh [MUTANT_NAME...]
# Mutation testing of openai_webhook_events/ with mutmut 3 ([tool.mutmut] in pyproject.toml;
# test extra), then prints the score: killed / total.  Timeouts count as killed (the
# mutant made the tests hang); mutants no test reaches count as survivors.  Results stay
# in mutants/ (`mutmut results`, `mutmut show NAME`); equivalent survivors are listed in
# docs/quality/mutation.md.  Slow (tens of minutes on 2 cores), so not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

mutmut="${MUTMUT:-mutmut}"
command -v "$mutmut" >/dev/null || mutmut="$(dirname "$(command -v python3)")/mutmut"
export CI=true HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-mutation}"  # deterministic and short

started=$SECONDS
mkdir -p mutants
"$mutmut" run "$@" >mutants/run.log 2>&1 || { tail -n 40 mutants/run.log; exit 1; }
"$mutmut" export-cicd-stats >/dev/null
python3 - "$((SECONDS - started))" <<'PY'
import json, sys
s = json.load(open("mutants/mutmut-cicd-stats.json"))
killed = s["killed"] + s["timeout"] + s["segfault"]
total = s["total"] - s["skipped"]
print(f"mutation score: {killed}/{total} killed ({100 * killed / max(total, 1):.1f}%) in {sys.argv[1]}s")
print("  " + ", ".join(f"{k}={v}" for k, v in s.items() if k != "check_was_interrupted_by_user"))
PY
"$mutmut" results 2>/dev/null | grep -E ': (survived|no tests|suspicious)' || true
