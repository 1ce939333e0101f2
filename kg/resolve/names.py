"""A person's name as the clustering compares it: family name, given names, suffix.

Why: "D L MacKenzie", "D. L. Mackenzie", "Doris Layton MacKenzie" and "MacKenzie, Doris L." must
meet in one block and be found compatible, while "John Smith" and "Jane Smith" must not. The
names come from the readers already tidied to "Given Family" (`kg.readers.fields.tidy_person`);
a comma left in a name is read as "Family, Given" all the same.

    >>> n = parse_name("Doris Layton MacKenzie")
    >>> n.family, n.given, n.block
    ('mackenzie', ('doris', 'layton'), 'mackenzie|d')
    >>> compatible(n, parse_name("D. L. Mackenzie")), compatible(n, parse_name("Dana MacKenzie"))
    (True, False)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kg.readers.fields import NAME_SUFFIXES, is_particle

# Particles that join two family names ("Gimenez-Salinas i Colomer"), taken only in lower case:
# a capital "E" or "Y" is an initial.
JOINING_PARTICLES = frozenset({"i", "y", "e"})
_SUFFIX_FORMS = {"jr": "jr", "jr.": "jr", "sr": "sr", "sr.": "sr", "ii": "ii", "iii": "iii"}


@dataclass(frozen=True)
class PersonName:
    """A name reduced to what is compared: lower case ASCII, no stops, particles in the family."""

    family: str  # "tenbensel", "lavigne", "gimenezsalinasicolomer"
    given: tuple[str, ...]  # ("doris", "layton"), ("d", "l"): one letter is an initial
    suffix: str | None  # "jr", "sr", "ii", "iii", "iv", "v"

    @property
    def block(self) -> str:
        """The blocking key: family name and first initial; names in different blocks never meet."""
        return f"{self.family}|{self.given[0][0] if self.given else ''}"

    @property
    def full_first(self) -> bool:
        """The first given name is written out ("Doris"), not an initial."""
        return bool(self.given) and len(self.given[0]) > 1

    @property
    def fullness(self) -> int:
        """How much the written form says: letters of given names written out, then their count."""
        return sum(len(g) for g in self.given if len(g) > 1) * 10 + len(self.given)


def fold(text: str) -> str:
    """Accents off, case folded, letters and digits only: "Giménez-Salinas" -> "gimenezsalinas"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def parse_name(name: str) -> PersonName:
    """The parts of a person's written name (see the module's docstring)."""
    text = " ".join(re.sub(r"[’‘`´]", "'", name).split())
    if "," in text:  # "MacKenzie, Doris L." or "Connors, E F, III"
        head, _, rest = text.partition(",")
        rest_parts = [p.strip() for p in rest.split(",") if p.strip()]
        suffixes = [p for p in rest_parts if p.casefold() in NAME_SUFFIXES]
        given_parts = [p for p in rest_parts if p not in suffixes]
        text = " ".join([*given_parts, head.strip(), *suffixes])
    words = text.split()
    suffix = None
    if len(words) > 1 and words[-1].casefold() in NAME_SUFFIXES:
        suffix = _SUFFIX_FORMS.get(words[-1].casefold(), words[-1].casefold())
        words = words[:-1]
    if not words:
        return PersonName("", (), suffix)
    start = len(words) - 1  # the family name starts here
    while start > 1:
        before = words[start - 1]
        if before in JOINING_PARTICLES and start > 2:  # "Gimenez-Salinas i Colomer"
            start -= 2
        elif len(before) > 1 and is_particle(before) and not before.endswith("."):
            start -= 1  # "ten Bensel", "La Vigne", "van der Berg"
        else:
            break
    family = fold("".join(words[start:]))
    given: list[str] = []
    for word in words[:start]:
        given += _given_parts(word)
    return PersonName(family, tuple(given), suffix)


def _given_parts(word: str) -> list[str]:
    """ "H-J" -> ["h", "j"], "T.K." -> ["t", "k"], "TK" -> ["t", "k"], "Hans-Jörg" -> two names."""
    pieces = [p for p in re.split(r"[.\-]", word) if p]
    out: list[str] = []
    for piece in pieces:
        if 1 < len(piece) <= 3 and piece.isupper() and not re.search(r"[AEIOUY]", piece):
            out += [fold(c) for c in piece]  # "TK", "DL": run-together initials
        elif folded := fold(piece):
            out.append(folded)
    return out


def compatible(a: PersonName, b: PersonName) -> bool:
    """Could the two written forms name one person? Same family, no clashing suffix, given names
    that agree where both are written (an initial agrees with a name it begins); a missing middle
    name agrees with any."""
    if not a.family or a.family != b.family or not a.given or not b.given:
        return False
    if a.suffix and b.suffix and a.suffix != b.suffix:
        return False
    for x, y in zip(a.given, b.given, strict=False):
        if len(x) > 1 and len(y) > 1:
            if x != y:
                return False
        elif x[0] != y[0]:
            return False
    return True
