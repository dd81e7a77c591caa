"""Run the primitive table outside pytest and print one line per failing case (a debugging aid).

    PYTHONPATH=. python tests/run_table.py [substring]
"""
import sys
import time
import traceback

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from primitive_check import Cases, check  # noqa: E402
from primitive_rows import ROWS  # noqa: E402

from tangentish import templates  # noqa: E402

templates.load_builtin()
want = sys.argv[1] if len(sys.argv) > 1 else ""
rows = [r for r in ROWS if want in r.key]
cases = Cases(rows)
start, n, bad = time.time(), 0, 0
for case in cases.cases:
    for family in range(len(case.row.shapes)):
        n += 1
        try:
            check(cases, case, family)
        except Exception as e:  # noqa: BLE001
            bad += 1
            msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
            where = traceback.extract_tb(e.__traceback__)[-1]
            pick = '' if case.row.pick is None else f'[{case.row.pick}]'
            print(f"{case.call}{pick} [{family}] {type(e).__name__}: {msg[:160]} @{where.name}:{where.lineno}")
print(f"{n - bad}/{n} passed in {time.time() - start:.1f}s")
without = [row for row in rows if row.no_float32 is not None]
for row in without:
    print(f"no float32 case: {row.key}({row.args}): {row.no_float32}")
