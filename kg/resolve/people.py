"""Which written forms of a person's name are one person (issue 14).

A person mention is one name on one record, with the evidence around it on that record. The
clustering decides, over every mention of the build, which mentions name the same person. Two
mentions merge only on evidence beyond a compatible name, since two people can share a surname
and initials (a wrong merge is worse than a missed one); the same written form on two records is
not enough by itself either: "J Smith" on two records may be two people. The rule, step by step
(docs/people.md says it for readers):

1. Each name is parsed (`kg.resolve.names`): family name with its particles, given names and
   initials, suffix; accents, case and stops folded. A name without a given name ("Smith") is
   not clustered: its mentions are one entity by their key, as before.
2. Mentions are blocked by family name and first initial; only mentions in one block are
   compared, only pairs whose names are compatible (`names.compatible`: "D L" agrees with
   "Doris Layton", not with "Dana"), and only pairs that share some evidence or, for a written-out
   first name, the same written form a few years apart.
3. A pair's evidence: the co-authors it shares (by their family name and initial, so that a
   co-author's spellings agree too), organisations, journal, subjects, each weighing the more
   the rarer it is in the whole collection (log of mentions over mentions holding it), and the
   years apart (close counts for, far against). The pair merges when its evidence reaches a
   threshold that is lower the more the two names say (`_threshold`): written-out first and middle
   names need little, initials need a shared co-author or the like, and more still in a block
   where several written-out first names fit the initial.
4. Merges go from the strongest evidence (over its threshold) down; a merge is refused when any
   two names of the two clusters are incompatible, so "J Smith" never joins "John Smith" and
   "Jane Smith" into one.

Every step sorts what it visits, so equal input gives equal clusters in any order of mentions.
A cluster's key is one of its members' keys: the fullest written form (most letters of given
names written out, then most given names), then the one on most of its records, then the first
in alphabetical order. When a larger cluster of the block has that key already (homonyms: two
people written alike), the cluster is numbered as dblp numbers homonyms: "j-smith-2", "j-smith-3".

    >>> a = PersonMention("1", "D L MacKenzie", "d-l-mackenzie",
    ...                   coauthors=("c-souryal",), year=1994)
    >>> b = PersonMention("2", "Doris Layton MacKenzie", "doris-layton-mackenzie",
    ...                   coauthors=("claire-souryal",), year=1995)
    >>> c = PersonMention("3", "D L MacKenzie", "d-l-mackenzie", year=1971)
    >>> sorted(cluster_people([a, b, c]).items())  # doctest: +NORMALIZE_WHITESPACE
    [(('1', 'd-l-mackenzie'), 'doris-layton-mackenzie'), (('2', 'doris-layton-mackenzie'),
      'doris-layton-mackenzie'), (('3', 'd-l-mackenzie'), 'd-l-mackenzie')]
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kg.record import Record, slug
from kg.resolve.names import PersonName, compatible, parse_name

MentionId = tuple[str, str]  # (record key, the mention's own person key)

# How much a shared feature weighs, times its rarity (step 3). A co-author is the strongest sign;
# subjects are many on every record, so together they count at most SUBJECTS_AT_MOST.
COAUTHOR_WEIGHT = 0.8
ORGANIZATION_WEIGHT = 0.5
JOURNAL_WEIGHT = 0.4
SUBJECT_WEIGHT = 0.3
SUBJECTS_AT_MOST = 2.5
SUBJECT_SHARE = 0.3
# Years apart: (at most this many years, score), the first that fits; unknown years count 0.
YEARS = ((3, 1.0), (8, 0.3), (15, 0.0), (25, -1.5))
YEARS_BEYOND = -4.0
# Thresholds by what the two names say (step 3): the same written form, or two forms; the
# weaker name of the two decides: 2 a first and a middle name, one written out; 1 a first name
# written out; 0 initials only.
SAME_FORM_THRESHOLD = {2: 0.5, 1: 1.0, 0: 4.5}
TWO_FORMS_THRESHOLD = {2: 3.0, 1: 4.0, 0: 5.0}
# A mention of initials (or of a first name that fits two people) joins an anchor cluster when
# its evidence reaches this, by what its name says, and leads the next anchor by ATTACH_MARGIN.
ATTACH_THRESHOLD = {2: 2.5, 1: 3.0, 0: 3.5}
ATTACH_MARGIN = 2.0
# Same written forms are compared without shared evidence (for their years) with this many of
# the next mentions in year order.
SAME_FORM_NEIGHBOURS = 12
# Rarity is counted as if among at least this many mentions: in a small build every feature is
# held by few, and its mentions are a sample of the collection.
SMALLEST_COLLECTION = 10_000
# A feature held by more mentions of a block than this proposes no pairs (it still counts).
POSTING_CAP = 400


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


def person_mentions(record: Record) -> list[PersonMention]:
    """The person mentions of one record, with its evidence, keyed as `kg.convert` keys them:
    every person author and editor once (an editor who is an author too is one mention)."""
    people = [a for a in [*(record.authors or ()), *(record.editors or ())] if a.kind == "person"]
    keys = list(dict.fromkeys(a.key for a in people))
    organizations = tuple(
        dict.fromkeys(
            a.key
            for a in [*(record.authors or ()), *(record.sponsors or ())]
            if a.kind == "organization"
        )
    )
    subjects = tuple(dict.fromkeys(slug(s) for s in record.subjects or ()))
    journal = slug(record.journal.title) if record.journal else None
    year = record.date_published.year if record.date_published else None
    out, seen = [], set()
    for agent in people:
        if agent.key in seen:
            continue
        seen.add(agent.key)
        out.append(
            PersonMention(
                record.key,
                agent.name,
                agent.key,
                coauthors=tuple(k for k in keys if k != agent.key),
                organizations=organizations,
                subjects=subjects,
                journal=journal,
                year=year,
            )
        )
    return out


class _Features:
    """Interned features, how many mentions hold each (for their rarity) and their kinds."""

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.kinds: list[float] = []  # the kind's weight; negative for a subject
        self.mentions = 0
        self._coauthors: dict[str, tuple[str, int]] = {}  # key -> its block, the block's id
        self._ids: dict[tuple[str, str], int] = {}

    def of(self, mention: PersonMention, own_block: str) -> tuple[int, ...]:
        out: set[int] = set()
        for key in mention.coauthors:
            known = self._coauthors.get(key)
            if known is None:
                block = parse_name(key.replace("-", " ")).block
                known = self._coauthors[key] = (block, self._id("c", block, COAUTHOR_WEIGHT))
            if known[0] != own_block:
                out.add(known[1])
        for key in mention.organizations:
            out.add(self._id("o", key, ORGANIZATION_WEIGHT))
        for key in mention.subjects:
            out.add(self._id("s", key, -SUBJECT_WEIGHT))
        if mention.journal:
            out.add(self._id("j", mention.journal, JOURNAL_WEIGHT))
        counts = self.counts
        for fid in out:
            counts[fid] += 1
        self.mentions += 1
        return tuple(sorted(out))

    def _id(self, kind: str, key: str, weight: float) -> int:
        fid = self._ids.get((kind, key))
        if fid is None:
            fid = self._ids[(kind, key)] = len(self.counts)
            self.counts.append(0)
            self.kinds.append(weight)
        return fid

    def weights(self) -> list[float]:
        """Each feature's weight: its kind's times its rarity, log(mentions / holders)."""
        total = max(self.mentions, SMALLEST_COLLECTION)
        return [
            kind * max(0.0, math.log(total / n)) if n else 0.0
            for kind, n in zip(self.kinds, self.counts, strict=True)
        ]


def _level(name: PersonName) -> int:
    """What a name says: 2 a first and a middle name, one written out; 1 a first name written
    out; 0 initials only."""
    if not any(len(g) > 1 for g in name.given):
        return 0
    return 2 if len(name.given) > 1 else 1


def _years(gap: int | None) -> float:
    if gap is None:
        return 0.0
    for most, score in YEARS:
        if gap <= most:
            return score
    return YEARS_BEYOND


def cluster_people(mentions: Iterable[PersonMention]) -> dict[MentionId, str]:
    """(record, key) of every mention -> the key of its cluster (see the module's docstring):
    equal input gives equal clusters, whatever the order of the mentions."""
    features = _Features()
    names: dict[str, PersonName] = {}
    out: dict[MentionId, str] = {}
    blocks: dict[str, list[tuple[MentionId, PersonName, tuple[int, ...], int | None]]]
    blocks = defaultdict(list)
    seen: set[MentionId] = set()
    for m in mentions:
        mid = (m.record, m.key)
        if mid in seen:
            continue
        seen.add(mid)
        name = names.get(m.name)
        if name is None:
            name = names[m.name] = parse_name(m.name)
        if not name.family or not name.given:
            out[mid] = m.key  # step 1: not clustered
            continue
        blocks[name.block].append((mid, name, features.of(m, name.block), m.year))
    weights = features.weights()
    for block in sorted(blocks):
        out.update(_cluster_block(sorted(blocks[block], key=lambda x: x[0]), weights))
    return out


class _Profile:
    """What some mentions' records hold: their features counted and their years, sorted."""

    __slots__ = ("features", "years", "size")

    def __init__(self) -> None:
        self.features: Counter[int] = Counter()
        self.years: list[int] = []
        self.size = 0

    def add(self, fids: tuple[int, ...], year: int | None) -> None:
        self.features.update(fids)
        self.size += 1
        if year is not None:
            bisect.insort(self.years, year)

    def absorb(self, other: _Profile) -> None:
        self.features.update(other.features)
        self.size += other.size
        self.years = sorted(self.years + other.years)


def _gap(a: list[int], b: list[int]) -> int | None:
    """The fewest years between a year of `a` and a year of `b` (both sorted)."""
    if not a or not b:
        return None
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    best = None
    for year in small:
        at = bisect.bisect_left(large, year)
        for other in large[max(0, at - 1) : at + 1]:
            gap = abs(other - year)
            best = gap if best is None or gap < best else best
    return best


def _score(a: _Profile, b: _Profile, weights: list[float]) -> float:
    """The evidence two profiles share (step 3). A subject counts in full only when it is on a
    good share (`SUBJECT_SHARE`) of both sides' mentions: many records share a subject or two."""
    small, large = (a, b) if len(a.features) <= len(b.features) else (b, a)
    score = subjects = 0.0
    for fid in small.features:
        held = large.features.get(fid)
        if held:
            w = weights[fid]
            if w < 0:
                share = min(small.features[fid] / small.size, held / large.size)
                subjects -= w * min(1.0, share / SUBJECT_SHARE)
            else:
                score += w
    return score + min(subjects, SUBJECTS_AT_MOST) + _years(_gap(a.years, b.years))


class _Block:
    """The mentions of one block, their written forms and which forms are compatible."""

    def __init__(self, items: list) -> None:
        self.items = items
        forms: dict[PersonName, int] = {}
        self.form_of = [forms.setdefault(name, len(forms)) for _, name, _, _ in items]
        self.names = list(forms)
        self.levels = [_level(name) for name in self.names]
        self._compat: dict[tuple[int, int], bool] = {}

    def fits(self, x: int, y: int) -> bool:
        if x == y:
            return True
        pair = (x, y) if x < y else (y, x)
        known = self._compat.get(pair)
        if known is None:
            known = self._compat[pair] = compatible(self.names[x], self.names[y])
        return known

    def fit_all(self, xs: Iterable[int], ys: Iterable[int]) -> bool:
        ys = list(ys)
        return all(self.fits(x, y) for x in xs for y in ys)


def _cluster_block(items: list, weights: list[float]) -> dict[MentionId, str]:
    """Steps 2 to 4 for the mentions of one block, in (record, key) order."""
    block = _Block(items)
    n_forms = len(block.names)
    profiles = [_Profile() for _ in range(n_forms)]
    mentions_of: list[list[int]] = [[] for _ in range(n_forms)]
    for i, (_, _, fids, year) in enumerate(items):
        profiles[block.form_of[i]].add(fids, year)
        mentions_of[block.form_of[i]].append(i)

    # Anchors: the forms with a first name written out that fit no two people, merged form by
    # form.
    full = [f for f in range(n_forms) if block.levels[f] >= 1]
    compatible_full = {f: [g for g in full if g != f and block.fits(f, g)] for f in full}
    ambiguous = {
        f
        for f in full
        if any(
            not block.fits(g, h)
            for x, g in enumerate(compatible_full[f])
            for h in compatible_full[f][x + 1 :]
        )
    }
    anchors = [f for f in full if f not in ambiguous]
    pairs = []
    for x, f in enumerate(anchors):
        for g in anchors[x + 1 :]:
            if block.fits(f, g):
                level = min(block.levels[f], block.levels[g])
                margin = _score(profiles[f], profiles[g], weights) - TWO_FORMS_THRESHOLD[level]
                if margin >= 0:
                    pairs.append((margin, f, g))
    group = {f: [f] for f in anchors}
    owner = {f: f for f in anchors}
    for _, f, g in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        a, b = owner[f], owner[g]
        if a != b and block.fit_all(group[a], group[b]):
            keep, gone = min(a, b), max(a, b)
            for h in group[gone]:
                owner[h] = keep
            group[keep] += group.pop(gone)
    clusters: dict[int, list[int]] = {}  # cluster id -> mention indexes
    cluster_profile: dict[int, _Profile] = {}
    for a, forms in group.items():
        clusters[a] = sorted(i for f in forms for i in mentions_of[f])
        if len(forms) == 1:
            cluster_profile[a] = profiles[forms[0]]
        else:
            cluster_profile[a] = total = _Profile()
            for f in forms:
                total.absorb(profiles[f])

    # Every other mention joins the anchor its own record points to, clearly, or waits.
    vague = [f for f in range(n_forms) if f not in group and f not in owner]
    left: list[int] = []
    joined: dict[int, list[int]] = defaultdict(list)
    for f in vague:
        candidates = [a for a in sorted(group) if block.fit_all([f], group[a])]
        for i in mentions_of[f]:
            if not candidates:
                left.append(i)
                continue
            one = _Profile()
            one.add(items[i][2], items[i][3])
            scored = sorted(
                ((_score(one, cluster_profile[a], weights), a) for a in candidates),
                key=lambda s: (-s[0], s[1]),
            )
            best, a = scored[0]
            second = scored[1][0] if len(scored) > 1 else -math.inf
            level = block.levels[f]
            if best >= ATTACH_THRESHOLD[level] and best - second >= ATTACH_MARGIN:
                joined[a].append(i)
            else:
                left.append(i)
    for a, extra in joined.items():
        clusters[a] = sorted(clusters[a] + extra)

    # What is left is linked pair by pair (steps 2 to 4) among itself.
    rest = _link_pairs(block, sorted(left), weights)
    return _keys(items, block.names, block.form_of, [*clusters.values(), *rest])


def _link_pairs(block: _Block, left: list[int], weights: list[float]) -> list[list[int]]:
    """The mentions no anchor took, clustered by the evidence of each pair."""
    items, form_of = block.items, block.form_of
    firsts = sorted({g.given[0] for g in block.names if len(g.given[0]) > 1})

    thresholds: dict[tuple[int, int], float] = {}

    def threshold(x: int, y: int) -> float:
        known = thresholds.get((x, y))
        if known is not None:
            return known
        a, b = block.names[x], block.names[y]
        level = min(block.levels[x], block.levels[y])
        value = (SAME_FORM_THRESHOLD if x == y else TWO_FORMS_THRESHOLD)[level]
        if not a.full_first and not b.full_first:
            # initials on both sides: as many written-out first names as fit make it less sure
            fitting = sum(1 for f in firsts if f[0] == a.given[0][0])
            value += math.log(max(1, fitting))
        thresholds[(x, y)] = value
        return value

    candidates: set[tuple[int, int]] = set()
    postings: dict[int, list[int]] = defaultdict(list)
    for i in left:
        for fid in items[i][2]:
            postings[fid].append(i)
    for fid in sorted(postings):
        holders = postings[fid]
        if len(holders) > POSTING_CAP or weights[fid] <= 0:
            continue
        for x, i in enumerate(holders):
            for j in holders[x + 1 :]:
                if block.fits(form_of[i], form_of[j]):
                    candidates.add((i, j))
    by_form: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i in left:
        if items[i][3] is not None and block.names[form_of[i]].full_first:
            by_form[form_of[i]].append((items[i][3], i))
    for dated in by_form.values():
        dated.sort()
        for x, (_, i) in enumerate(dated):
            for _, j in dated[x + 1 : x + 1 + SAME_FORM_NEIGHBOURS]:
                candidates.add((min(i, j), max(i, j)))

    scored: list[tuple[float, int, int]] = []
    for i, j in candidates:
        shared = set(items[i][2]).intersection(items[j][2])
        score = subjects = 0.0
        for fid in shared:
            w = weights[fid]
            if w < 0:
                subjects -= w
            else:
                score += w
        gap = None if items[i][3] is None or items[j][3] is None else abs(items[i][3] - items[j][3])
        score += min(subjects, SUBJECTS_AT_MOST) + _years(gap)
        margin = score - threshold(form_of[i], form_of[j])
        if margin >= 0:
            scored.append((margin, i, j))

    parent = {i: i for i in left}
    members: dict[int, set[int]] = {i: {form_of[i]} for i in left}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    for _, i, j in scored:
        ri, rj = root(i), root(j)
        if ri != rj and block.fit_all(members[ri], members[rj]):
            keep, gone = min(ri, rj), max(ri, rj)
            parent[gone] = keep
            members[keep] |= members.pop(gone)
    out: dict[int, list[int]] = defaultdict(list)
    for i in left:
        out[root(i)].append(i)
    return list(out.values())


def _keys(items: list, form_names: list[PersonName], form_of: list[int], clusters: list) -> dict:
    """Each cluster's key (see the module's docstring), the larger clusters first."""
    out: dict[MentionId, str] = {}
    taken: set[str] = set()
    for members in sorted(clusters, key=lambda ms: (-len(ms), items[ms[0]][0])):
        records = Counter(items[i][0][1] for i in members)
        fullness = {items[i][0][1]: form_names[form_of[i]].fullness for i in members}
        key = min(records, key=lambda k: (-fullness[k], -records[k], k))
        if key in taken:
            number = 2
            while f"{key}-{number}" in taken:
                number += 1
            key = f"{key}-{number}"
        taken.add(key)
        for i in members:
            out[items[i][0]] = key
    return out
