#!/usr/bin/env bash
# function.zip for AWS Lambda without pip: the handler and the package, each with its bytecode.
# Run it from a checkout of this repository (or a folder holding openai_webhook_events/ and examples/):
#   bash examples/build_zip.sh [HANDLER.py]            (default examples/lambda_function.py)
# PYTHON names the interpreter of the Lambda runtime (default python3.13): a .pyc is only used by
# the same Python version, and /var/task is read-only, so without it each cold start compiles again.
set -euo pipefail

python="${PYTHON:-python3.13}"
handler="${1:-examples/lambda_function.py}"
"$python" -c "" 2>/dev/null || {  # missing, or a shim with no interpreter behind it
    echo "$python is needed to compile the bytecode for the Lambda runtime: install it, or set PYTHON=python3.X" >&2
    exit 1
}

rm -rf lambda-package function.zip  # its own folder, cleared first: nothing stale gets in
mkdir lambda-package
cp -r openai_webhook_events "$handler" lambda-package/
find lambda-package -name __pycache__ -prune -exec rm -rf {} +
"$python" -m compileall -q --invalidation-mode unchecked-hash lambda-package  # file times do not matter
(cd lambda-package && "$python" -m zipfile -c ../function.zip .)
echo "function.zip: bytecode for $("$python" -V); the handler is $(basename "$handler" .py).lambda_handler"
