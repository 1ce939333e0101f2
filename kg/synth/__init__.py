"""A synthetic NCJRS corpus at any size, in the real page layouts and as JSON Lines.

Why: the pipeline must be proven at 250,000 records and the captured seeds are a few dozen pages.
This package writes records the way the sites showed them, reproduced from the captures in `seeds/`:

- ``ojp-modern``: the current ojp.gov abstract page, ``Label`` / value lines, with the site header
  and title, or without them (the ``ojp.gov./`` captures that start at ``NCJ Number``);
- ``ojp-lossy``: the scraped form of that page where labels lost their values and values stand
  unlabelled (the NCJ number is gone; authors and the journal float under ``NCJ Number``);
- ``abstract-aspx``: the older ncjrs.gov ``Label: value`` pages in three variants (``register``,
  ``justinfo``, ``abstractdb``);
- ``jsonl``: a structured export, one JSON object a line, with the fields in `JSONL_FIELDS`.

Names, agencies, journals, grants and subjects are drawn with Zipf-like frequencies so that entities
are shared across many records. A share of records lack fields, a few are captured twice in two
layouts, and a few files are broken (empty, binary junk, cut mid-word at 2,000 characters as the
harvester cut pages, a JSON line that is not JSON). It is written independently of the readers
so that the two check each other: ``manifest.json`` holds, for a sample of records, the values a
reader should recover; ``truth.jsonl.gz`` beside it holds, for every record, who it names: each
person as printed and the person they are, each organisation as printed and the one it is (a
person is written several ways, some people are homonyms of others, an agency is spelled with
and without its acronym or under its hierarchy line), for measuring entity resolution.

Everything follows from the seed. Each record draws from its own ``random.Random(f"{seed}/{i}")``,
each folder of 1,000 records from ``random.Random(f"{seed}/block/{b}")``, so the output is
byte-identical for a seed whatever the number of worker processes, and nothing is held in memory
beyond one folder's records.

The package: `words` (the vocabulary, from ``words.json``), `world` (the shared entities),
`spellings` (how a page spells a person or an organisation), `truth`
(one record's values and layout), `pages` and `jsonl` (writing a record), `corpus` (folders,
damage, the manifest, `write_corpus`).
"""

from kg.synth.corpus import (
    BROKEN_KINDS,
    FOLDERS_PER_JSONL,
    RECORDS_PER_FOLDER,
    SynthSummary,
    write_corpus,
)
from kg.synth.jsonl import JSONL_FIELDS
from kg.synth.truth import LAYOUTS

__all__ = [
    "BROKEN_KINDS",
    "FOLDERS_PER_JSONL",
    "JSONL_FIELDS",
    "LAYOUTS",
    "RECORDS_PER_FOLDER",
    "SynthSummary",
    "write_corpus",
]
