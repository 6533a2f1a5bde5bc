#!/usr/bin/env bash
# The Python package's tests: a virtual environment of its own (.venv/ in the repository,
# git-ignored), maturin, pytest, numpy, scikit-learn, pandas, pyspark and pyarrow from PyPI,
# the package built with `maturin develop --release`, then pytest on crates/gmm-py/tests.
#
# Needs python3 (>= 3.9, with the venv module: `apt-get install python3-venv` on Debian and
# Ubuntu), the Rust toolchain, and Java 17 for the Spark tests (`apt-get install
# openjdk-17-jre-headless` on Debian and Ubuntu, `brew install openjdk@17` on macOS; without
# `java` on the PATH the Spark tests are skipped, saying so). GMM_PYTHON picks another
# interpreter; GMM_VENV another environment directory. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${GMM_PYTHON:-python3}
venv=${GMM_VENV:-.venv}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "$python not found: install Python 3.9 or later (or set GMM_PYTHON)" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "maturin>=1.5,<2" pytest numpy scikit-learn pandas pyspark pyarrow
if ! command -v java >/dev/null 2>&1; then
    echo "java not found: the Spark tests will be skipped (install Java 17, see the top of this script)" >&2
fi

# maturin develop installs into the active environment.
export VIRTUAL_ENV="$(cd "$venv" && pwd)"
export PATH="$VIRTUAL_ENV/bin:$PATH"
# installed as the README says (pip install ./crates/gmm-py), so the tests use that wheel
python -m pip install --quiet --force-reinstall --no-deps ./crates/gmm-py
python -m pytest -q crates/gmm-py/tests "$@"
