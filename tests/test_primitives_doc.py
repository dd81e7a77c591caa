"""docs/primitives.md is generated from the registry; it must match the templates."""
from pathlib import Path

import pytest

from tangentish import primitives_doc, registry, templates

pytest.importorskip("scipy")   # the committed page lists the scipy rules too


def test_primitives_page_is_up_to_date():
    import numpy as np
    import scipy.special
    if not (hasattr(np, "unstack") and hasattr(scipy.special, "softplus")):
        pytest.skip("the page lists the rules of NumPy >= 2.1 and SciPy >= 1.15; older ones have fewer")
    path = Path(__file__).resolve().parent.parent / "docs" / "primitives.md"
    assert path.read_text() == primitives_doc.render(), (
        "docs/primitives.md is stale: run `python -m tangentish.primitives_doc`")


def test_every_listed_function_has_both_modes():
    templates.load_builtin()
    text = primitives_doc.render()
    assert "**none**" not in text
    assert primitives_doc.supported_count() >= 200


def test_names_are_spelled_as_users_write_them():
    import numpy as np
    import scipy.special as sp
    import scipy.stats as st
    assert registry.display_name(np.linalg.qr) == "np.linalg.qr"
    assert registry.display_name(np.fft.rfft) == "np.fft.rfft"
    assert registry.display_name(sp.erf) == "scipy.special.erf"
    assert registry.display_name(st.norm.logpdf) == "scipy.stats.norm.logpdf"
