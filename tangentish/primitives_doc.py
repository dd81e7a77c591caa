"""Render the rule registry as docs/primitives.md: every supported function and its modes.

Run ``python -m tangentish.primitives_doc`` after adding templates; a test
fails when the file and the registry disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List

from . import registry, templates

INTRO = """\
# Supported functions

Generated from the rule registry by `python -m tangentish.primitives_doc`; do not edit by hand.
Every function in a table has a reverse rule (`tg.grad`, `tg.vjp`) and a forward rule
(`tg.jvp`): *rule* is a written tangent template, *linear* means the function is linear in its
first argument, so its tangent is the same call on the tangent. Each one is checked against
central finite differences, in both modes, with float32 kept float32, by
`tests/test_primitives_table.py`.

Conventions:

* **Broadcasting** is undone in every adjoint: an argument's gradient has the argument's shape.
* **Complex values** (FFT, `np.real`, `np.vdot`, ...): for a real loss L of z = a + ib the
  gradient is dL/da + i dL/db; a complex linear map F has adjoint F^H, and a real input of a
  complex computation gets the real part. Most rules are written for real values; where a value
  may be complex (an FFT, a complex literal or `dtype`, a complex argument or global), reverse
  mode applies a holomorphic rule as conj(rule(conj(dz))), so `*`, `/`, `@`, `exp`, ... follow
  the convention there, and real code is left as it is (see tangentish/complexity.py). Rules for
  real values only (`maximum`, `clip`, `sort`, `cholesky`, `svd`, ...) refuse complex values in
  every mode (`grad`, `vjp`, `jvp`, `jacobian`).
  Second derivatives through `np.abs` of complex values are supported; third are refused.
* **Symmetric-matrix functions** (`cholesky`, `eigh`, `eigvalsh`, `multivariate_normal`'s `cov`)
  return the symmetric gradient (G + G^T) / 2.
* **Keywords**: a rule names the keywords it understands. Any other keyword (`out=`,
  `initial=`, `allow_singular=`) makes the transformer refuse the call with a `TransformError`.
  Positional arguments bind where NumPy binds them (`np.fft.fft(x, 8)` is `n=8`); a rule
  parameter NumPy takes at another position is keyword-only, so `np.sum(x, 0, None, out)` is
  refused rather than misread.
  Some derivatives exist only in part (an integer order, `np.pad` other than `mode='constant'`,
  `svd` of a rectangle with `full_matrices=True`): those raise when they would be needed.

A function that is not listed raises a `TransformError` naming it. To add one, write its
rule yourself, exactly as the built-in ones in `templates/` are written: the body is pasted into
the generated code, `d[x]` is the adjoint of `x`, `t[x]` its tangent, and the first parameter is
the result. The same decorators take a NumPy function (`@tg.adjoint(np.unwrap)`) or your own
function marked `@tg.primitive`:

```python
import numpy as np
import tangentish as tg
from tangentish.registry import d, t   # placeholders, so linters know the names

@tg.primitive
def softclip(x):
    return 2.0 * np.tanh(x)

@tg.adjoint(softclip)
def softclip_adjoint(y, x):
    d[x] += d[y] * (2.0 - y * y / 2.0)

@tg.tangent(softclip)
def softclip_tangent(y, x):
    t[y] += t[x] * (2.0 - y * y / 2.0)
```
"""


def _section(rule) -> str:
    module = getattr(rule, "__module__", "") or ""
    return module.rsplit(".", 1)[-1]


def _note(rule) -> str:
    if rule is None:   # None.__doc__ is NoneType's docstring from Python 3.13 on
        return ""
    doc = (getattr(rule, "__doc__", None) or "").strip().splitlines()
    return doc[0].replace("|", "\\|") if doc else ""


def rows() -> Dict[str, List[tuple]]:
    """Section (template file) -> [(name, forward kind, note)], runtime helpers included."""
    templates.load_builtin()
    sections: Dict[str, List[tuple]] = {}
    for key, rule in registry.REVERSE.items():
        if key in registry.FORWARD:
            forward = "rule"
        elif key in registry.LINEAR:
            forward = "linear"
        else:
            forward = "**none**"
        note = _note(rule) or _note(registry.FORWARD.get(key))
        sections.setdefault(_section(rule), []).append((registry.display_name(key), forward, note))
    return {k: sorted(v) for k, v in sorted(sections.items())}


def supported_count() -> int:
    """Functions users call (runtime helpers excluded) with both a reverse and a forward rule."""
    return sum(1 for name, section in _user_rows() if section[1] != "**none**")


def _user_rows():
    for section, entries in rows().items():
        if section.startswith("runtime"):
            continue
        for entry in entries:
            yield entry[0], entry


def render() -> str:
    out = [INTRO]
    sections = rows()
    user = {k: v for k, v in sections.items() if not k.startswith("runtime")}
    helpers = {k: v for k, v in sections.items() if k.startswith("runtime")}
    total = sum(len(v) for v in user.values())
    out.append(f"**{total} functions** with reverse and forward rules, in {len(user)} groups "
               f"(plus {sum(len(v) for v in helpers.values())} runtime helpers that generated code calls, "
               "listed last, so derivatives of derivatives work).\n")
    for title, entries in list(user.items()) + list(helpers.items()):
        out.append(f"## {title}\n")
        out.append("| function | reverse | forward | note |")
        out.append("|---|---|---|---|")
        for name, forward, note in entries:
            out.append(f"| `{name}` | rule | {forward} | {note} |")
        out.append("")
    out.append("## Non-differentiable (zero gradient, no error)\n")
    names = sorted({registry.display_name(k) for k in registry.NONDIFF
                    if not getattr(k, "__module__", "").startswith("tangentish")})
    out.append(", ".join(f"`{n}`" for n in names) + "\n")
    out.append("## Declined on purpose\n")
    out.append("| function | why |")
    out.append("|---|---|")
    for key, why in sorted(registry.UNSUPPORTED.items(), key=lambda kv: registry.display_name(kv[0])):
        out.append(f"| `{registry.display_name(key)}` | {why} |")
    return "\n".join(out) + "\n"


def default_path() -> Path:
    return Path(__file__).resolve().parent.parent / "docs" / "primitives.md"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render())
    print(f"wrote {path} ({supported_count()} functions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
