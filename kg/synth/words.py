"""The generator's vocabulary, read from ``words.json`` beside this module.

Drawn from the kind of words NCJRS abstracts use: names, agencies, journals, topics, and the
sentence templates that `kg.synth.truth` fills at random. The lists are data, kept in one file
that a person can edit; their order matters (draws are by rank), so an edit changes the corpora
every seed writes.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def _tuples(value: Any) -> Any:
    """JSON arrays as tuples, all the way down: the generator compares and hashes them."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _repeated(pairs: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """["English", 36] pairs as a tuple holding each word that many times (a weighted choice)."""
    return tuple(word for word, times in pairs for _ in range(times))


_DATA = {
    name: _tuples(value)
    for name, value in json.loads(
        resources.files("kg.synth").joinpath("words.json").read_text(encoding="utf-8")
    ).items()
}

# People: given and family names, and the family names written with particles or apostrophes.
GIVEN: tuple[str, ...] = _DATA["given_names"]
FAMILY: tuple[str, ...] = _DATA["family_names"]
FAMILY_SPECIAL: tuple[str, ...] = _DATA["family_names_special"]
# (name, acronym, address lines, country): sponsoring agencies, most shared first.
AGENCIES: tuple[tuple[str, str | None, tuple[str, ...], str], ...] = _DATA["agencies"]
# Acronyms of the agencies that award the grants the pages list.
GRANTING: frozenset[str] = frozenset(_DATA["granting_agencies"])
# (name, acronym, extra address lines): corporate authors; more are made from places.
CORPORATE: tuple[tuple[str, str | None, tuple[str, ...]], ...] = _DATA["corporate_authors"]
UNIVERSITY_PLACES: tuple[str, ...] = _DATA["university_places"]
DEPARTMENTS: tuple[str, ...] = _DATA["departments"]
# (title, first year): the journals; made-up ones fill the tail from forms x words.
JOURNALS: tuple[tuple[str, int], ...] = _DATA["journals"]
JOURNAL_WORDS: tuple[str, ...] = _DATA["journal_words"]
JOURNAL_FORMS: tuple[str, ...] = _DATA["journal_forms"]
# The slots of titles and sentences.
TOPICS: tuple[str, ...] = _DATA["topics"]
POPULATIONS: tuple[str, ...] = _DATA["populations"]
PLACES: tuple[str, ...] = _DATA["places"]
PROGRAMS: tuple[str, ...] = _DATA["programs"]
SUBTITLES: tuple[str, ...] = _DATA["subtitles"]
GENERIC_TITLES: tuple[str, ...] = _DATA["generic_titles"]
DOCTYPES: tuple[str, ...] = _DATA["doctypes"]
OUTCOMES: tuple[str, ...] = _DATA["outcomes"]
UNITS: tuple[str, ...] = _DATA["units"]
PRACTITIONERS: tuple[str, ...] = _DATA["practitioners"]
METHODS: tuple[str, ...] = _DATA["methods"]
FINDINGS: tuple[str, ...] = _DATA["findings"]
PROBLEMS: tuple[str, ...] = _DATA["problems"]
RECOMMENDATIONS: tuple[str, ...] = _DATA["recommendations"]
FIELDS: tuple[str, ...] = _DATA["fields"]
APPENDIXES: tuple[str, ...] = _DATA["appendixes"]
# Templates: the abstract's closing line, the annotation, the abstract's sentences.
CLOSINGS: tuple[str, ...] = _DATA["closings"]
ANNOTATIONS: tuple[str, ...] = _DATA["annotations"]
SENTENCES: tuple[str, ...] = _DATA["sentences"]
# The values of the record's list fields.
SUBJECTS: tuple[str, ...] = _DATA["subjects"]
TYPES: tuple[str, ...] = _DATA["types"]
FORMATS: tuple[str, ...] = _DATA["formats"]
LANGUAGES: tuple[str, ...] = _repeated(_DATA["languages"])
COUNTRIES: tuple[str, ...] = _repeated(_DATA["countries"])
MONTHS: tuple[str, ...] = _DATA["months"]
SEASONS: tuple[str, ...] = _DATA["seasons"]
# Words a title keeps in lower case.
SMALL_WORDS: frozenset[str] = frozenset(_DATA["small_words"])
# Drupal pathauto's default stop words: dropped from the ojp.gov URL slugs.
SLUG_STOP: frozenset[str] = frozenset(_DATA["slug_stop_words"])
