#!/usr/bin/env bash
# Usage: scripts/fuzz.sh SECONDS [TARGET...]
# Runs each atheris target in fuzz/ (default: parse and unwrap) for SECONDS.
# Interpreter: $FUZZ_PYTHON, else the newest pyenv CPython 3.12/3.13 (atheris has wheels
# for them), else python3; its venv is .venv-fuzz.  New inputs go to a temporary working
# corpus (fuzz/corpus/ stays the committed seeds); crashes are written to fuzz/crashes/
# (turn each into a regression test).  Exits non-zero on a crash, 0 with a clear SKIP
# message if atheris cannot be installed for the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(parse unwrap)

python="${FUZZ_PYTHON:-}"
if [[ -z "$python" ]]; then
    pyenv_root="${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}"
    for minor in 3.12 3.13; do
        found=$(ls -d "$pyenv_root"/versions/"$minor".*/bin/python 2>/dev/null | sort -V | tail -n 1 || true)
        if [[ -n "$found" ]]; then python="$found"; break; fi
    done
    python="${python:-python3}"
fi

venv=.venv-fuzz
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import atheris' 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    if ! "$venv/bin/python" -m pip install -q atheris >"$venv/pip-atheris.log" 2>&1 \
        || ! "$venv/bin/python" -c 'import atheris' 2>/dev/null; then
        tail -n 5 "$venv/pip-atheris.log"
        echo "SKIP fuzzing: atheris cannot be installed for $("$python" --version 2>&1) ($python)"
        exit 0
    fi
fi
echo "fuzzing with $("$venv/bin/python" --version) and atheris $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("atheris"))')"

mkdir -p fuzz/crashes
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    echo "== fuzz_$target for ${seconds}s"
    # libFuzzer adds new inputs to the first corpus folder only: the temporary one.
    if ! PYTHONPATH="$PWD" "$venv/bin/python" "fuzz/fuzz_$target.py" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="fuzz/crashes/$target-" "$work/$target" "fuzz/corpus/$target" \
        >"$work/$target.log" 2>&1; then
        tail -n 60 "$work/$target.log"
        echo "CRASH in fuzz_$target: input saved under fuzz/crashes/"
        status=1
    else
        grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added)' "$work/$target.log" || true
        echo "fuzz_$target: no crash in ${seconds}s"
    fi
done
exit "$status"
