"""String options as values: :class:`Option`, the base of every option set of lingauss.

An option is given as text (``direction="reverse"``) and parsed once, at the boundary, into a
member of its :class:`Option` subclass (``Direction.REVERSE``). A member *is* its text — it
compares equal to it, hashes, prints and serialises as it — so results, messages and files
read exactly as before; but the code below the boundary asks the value (``direction.parts``,
``soft_labels.sampled``) instead of comparing strings. Each option set is defined once, in
the module that owns the concept (``lingauss.model.options``, ``lingauss.report.formats``).

>>> class Colour(Option):
...     RED = "red"
...     BLUE = "blue"
>>> Colour.parse("red", "colour") is Colour.RED, Colour.RED == "red", f"{Colour.BLUE}"
(True, True, 'blue')
>>> Colour.parse("green", "colour")
Traceback (most recent call last):
...
lingauss.LingaussError: Unknown value for colour: 'green'. Possible values: ('red', 'blue').
"""

from __future__ import annotations

import enum

from lingauss._core.validation import LingaussError


class Option(str, enum.Enum):
    """A member of a fixed set of string options (subclass it with the members)."""

    def __repr__(self) -> str:
        return repr(self.value)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    __hash__ = str.__hash__

    def __reduce_ex__(self, protocol):
        return type(self), (self.value,)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The texts of the members, in order (what a message lists as possible)."""
        return tuple(member.value for member in cls)

    @classmethod
    def parse(cls, value, name: str):
        """The member whose text is ``value`` (a member passes through); otherwise one
        :class:`LingaussError` naming the argument, the value and the possible values."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for member in cls:
                if member.value == value:
                    return member
        raise LingaussError.named(name, "Unknown value for {parameter}: {rest}",
                                  rest=f"{value!r}. Possible values: {cls.values()}.")
