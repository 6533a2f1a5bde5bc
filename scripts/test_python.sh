#!/usr/bin/env bash
# The Python package's tests: a virtual environment of its own (.venv/ in the repository,
# git-ignored), maturin, pytest, numpy, scikit-learn and pandas from PyPI, the package built
# with `maturin develop --release`, then pytest on crates/gmm-py/tests.
#
# Needs python3 (>= 3.9, with the venv module: `apt-get install python3-venv` on Debian and
# Ubuntu) and the Rust toolchain. GMM_PYTHON picks another interpreter; GMM_VENV another
# environment directory. Extra arguments go to pytest.
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
"$venv/bin/python" -m pip install --quiet "maturin>=1.5,<2" pytest numpy scikit-learn pandas

# maturin develop installs into the active environment.
export VIRTUAL_ENV="$PWD/$venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
(cd crates/gmm-py && maturin develop --release --quiet)
python -m pytest -q crates/gmm-py/tests "$@"
