"""Which written forms of a person's name are one person (issue 14).

A person mention is one name on one record, with the evidence around it on that record. The
clustering decides, over every mention of the build, which mentions name the same person; two
mentions merge only on evidence beyond a compatible name, since two people can share a surname
and initials (a wrong merge is worse than a missed one).

Until that rule is written this module keeps today's behaviour: mentions whose normalised name
key is equal are one person, and nothing else merges.

    >>> a = PersonMention("1", "D L MacKenzie", "d-l-mackenzie")
    >>> b = PersonMention("2", "Doris Layton MacKenzie", "doris-layton-mackenzie")
    >>> sorted(cluster_people([a, b]).items())
    [(('1', 'd-l-mackenzie'), 'd-l-mackenzie'), (('2', 'doris-layton-mackenzie'), 'doris-layton-mackenzie')]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MentionId = tuple[str, str]  # (record key, the mention's own person key)


@dataclass(frozen=True)
class PersonMention:
    """One person as one record names them, with that record's evidence."""

    record: str  # the record's key (NCJ number)
    name: str  # the name as printed on the record (tidied, "Given Family")
    key: str  # the key of that written form (kg.record.Agent.key)
    coauthors: tuple[str, ...] = ()  # the keys of the record's other authors and editors
    organizations: tuple[str, ...] = ()  # organisation keys: corporate authors, sponsors
    subjects: tuple[str, ...] = ()  # subject keys
    journal: str | None = None  # periodical key
    year: int | None = None  # year of publication


def cluster_people(mentions: Iterable[PersonMention]) -> dict[MentionId, str]:
    """(record, key) of every mention -> the key of its cluster: one of its members' keys,
    chosen deterministically, so equal input gives equal clusters."""
    return {(m.record, m.key): m.key for m in mentions}
