"""`skops.io`, imported without the crawl of all of scikit-learn that pulls in torch.

Why: `import skops.io` builds its default trusted-type list with `sklearn.utils.all_estimators()`,
which walks and imports every scikit-learn module; `pkgutil.walk_packages` imports each package it
recurses into, `sklearn.externals.array_api_compat.torch` among them, so loading a TF-IDF model
imported torch and all of scikit-learn (about 2.5 s of a one-headline `khabar predict`). khabar
never relies on that default list: every load passes the kind's explicit `trusted_types` and
refuses any type outside it before skops builds anything (`TfidfModel.load_weights`). So the list
is built empty here, which only makes skops stricter, and the optional `quantile_forest` plug-in
(a type khabar never writes) is not imported.
"""

from __future__ import annotations

import sys
from types import ModuleType


def skops_io() -> ModuleType:
    """The `skops.io` module; on first import, without the scikit-learn crawl (see the module docstring)."""
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    crawl = sklearn.utils.all_estimators
    blocked = "quantile_forest" not in sys.modules
    sklearn.utils.all_estimators = lambda type_filter=None: []
    if blocked:
        sys.modules["quantile_forest"] = None  # an ImportError, which skops treats as "not installed"
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = crawl
        if blocked and sys.modules.get("quantile_forest", 0) is None:
            del sys.modules["quantile_forest"]
    return skops.io
