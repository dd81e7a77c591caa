"""Errors a user sees.

Every failure to differentiate is a `TransformError` that names the user's file,
line and construct, and says what to do instead.  Nothing in tangentish raises a
bare ValueError: a silent or vague failure is the bug we exist to avoid.
"""
from __future__ import annotations

import linecache
from typing import Optional


class TangentishError(Exception):
    """Base class of every error tangentish raises on purpose."""


class TransformError(TangentishError):
    """The function cannot be differentiated as written.

    Carries the user's ``filename``/``lineno``/``function`` so the message reads
    like a traceback frame, plus a ``hint`` saying what to write instead.
    """

    def __init__(self, message: str, filename: Optional[str] = None,
                 lineno: Optional[int] = None, function: Optional[str] = None,
                 hint: Optional[str] = None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.hint = hint
        super().__init__(self._render())

    def located(self, filename: str, lineno: Optional[int], function: Optional[str]) -> TransformError:
        """The same error, pointing at the user's code (for errors raised at run time)."""
        return type(self)(self.message, filename, lineno, function, self.hint)

    def _render(self) -> str:
        lines = [self.message]
        if self.filename is not None:
            where = f'  File "{self.filename}"'
            if self.lineno is not None:
                where += f", line {self.lineno}"
            if self.function:
                where += f", in {self.function}"
            lines.append(where)
            if self.lineno is not None:
                text = linecache.getline(self.filename, self.lineno).strip()
                if text:
                    lines.append(f"      {text}")
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)


class GradientShapeError(TangentishError):
    """A value given to a derivative (seed, tangent, custom rule result) has the wrong shape."""
