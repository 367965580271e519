"""Running the steps: the command line, the params, the pre-run checks and the notebooks under papermill."""

from __future__ import annotations

import importlib
import sys


def _import_jsonschema_without_iri_checker() -> None:
    """papermill validates notebooks with jsonschema, whose `iri` format checker (rfc3987_syntax) builds
    about 35 parsers at import: a second per process for a format no notebook schema uses
    (python-jsonschema/jsonschema#1428). Kernels never import jsonschema (tests/unit/test_kernels.py), so
    only the runner's side needs it.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import fails, jsonschema skips `iri`
    try:
        importlib.import_module("jsonschema")
    finally:
        del sys.modules["rfc3987_syntax"]


_import_jsonschema_without_iri_checker()
