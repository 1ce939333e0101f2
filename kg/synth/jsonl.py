"""Writing a record as one JSON object of the structured export (a line of a ``.jsonl`` file)."""

from __future__ import annotations

from kg.synth.truth import Truth, corporate_name

# The JSON Lines export's field names, in the order written. Kept in one place so the structured
# reader can be aligned with it. Types: ``authors``, ``editors``, ``corporate_authors``,
# ``grants``, ``formats``, ``types``, ``subjects`` are lists of strings (empty when there are none);
# ``sponsors`` a list of {"name", "acronym", "address": [lines]}; ``links`` a list of
# {"label", "url", "rel"}; ``length`` an integer page count; ``date_published`` "1995",
# "1995-07" or "1995-07-14"; other fields strings; null when unknown.
JSONL_FIELDS = (
    "ncj",
    "title",
    "authors",
    "corporate_authors",
    "editors",
    "journal",
    "volume",
    "issue",
    "pages",
    "dated",
    "date_published",
    "length",
    "annotation",
    "abstract",
    "abstract_source",
    "grants",
    "sponsors",
    "formats",
    "types",
    "language",
    "country",
    "subjects",
    "links",
    "source_url",
)


def jsonl_object(t: Truth) -> dict:
    """The record's JSON object, its keys in `JSONL_FIELDS` order."""
    name, volume, issue, pages, dated = t.journal or (None, None, None, None, None)
    date = None
    if t.date:
        year, month, day = t.date
        date = (
            f"{year:04d}"
            if month is None
            else (f"{year:04d}-{month:02d}" if day is None else f"{year:04d}-{month:02d}-{day:02d}")
        )
    values = {
        "ncj": t.ncj,
        "title": t.title,
        "authors": list(t.authors),
        "corporate_authors": [corporate_name(c) for c in t.corporate_forms],
        "editors": list(t.editors),
        "journal": name,
        "volume": volume,
        "issue": issue,
        "pages": pages,
        "dated": dated,
        "date_published": date,
        "length": t.length,
        "annotation": t.annotation,
        "abstract": t.abstract,
        "abstract_source": t.abstract_source,
        "grants": list(t.grants),
        "sponsors": [
            {"name": name, "acronym": acronym, "address": [*a[2], a[3]]}
            for a, (name, acronym) in zip(t.sponsors, t.sponsor_forms, strict=True)
        ],
        "formats": list(t.formats),
        "types": list(t.types),
        "language": t.language,
        "country": t.country,
        "subjects": list(t.subjects),
        "links": [{"label": label, "url": url, "rel": rel} for label, url, rel in t.links],
        "source_url": f"https://www.ojp.gov/ncjrs/virtual-library/abstracts/{t.slug}",
    }
    return {name: values[name] for name in JSONL_FIELDS}
