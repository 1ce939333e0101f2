"""Writing the corpus: folders of 1,000 records (their pages, their JSON lines), the damage
done to a few files, and ``manifest.json`` with the values a reader should recover."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import multiprocessing
import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ConfigError
from kg.readers.page import CUT_AT
from kg.synth.jsonl import JSONL_FIELDS, jsonl_object
from kg.synth.pages import render
from kg.synth.truth import LAYOUTS, Truth, corporate_name, make_truth
from kg.synth.world import World

BROKEN_KINDS = ("empty", "binary", "truncated", "bad-json")
# Records per pages/NNNN/ folder: a worker's unit of work, and its plan's (damage, twins).
RECORDS_PER_FOLDER = 1000
FOLDERS_PER_JSONL = 25  # 25,000 records (about 3,700 lines) per .jsonl file
# Beside manifest.json: one JSON line per record, in record order, with the entities it names
# and which real person or organisation each is (`entity_truth`).
TRUTH_FILE = "truth.jsonl.gz"  # gzip: the build reads no .gz file


@dataclass
class SynthSummary:
    """What `write_corpus` wrote: counts per layout, broken files, duplicates, size and time."""

    out_dir: str
    seed: int
    records: int  # distinct records generated (each written once, some twice)
    files: int  # page files plus .jsonl files
    page_files: int
    jsonl_files: int
    jsonl_lines: int
    bytes: int
    by_layout: dict[str, int] = field(default_factory=dict)  # records per primary layout
    by_variant: dict[str, int] = field(default_factory=dict)  # "abstract-aspx/justinfo": n
    duplicates: int = 0  # records written a second time in another layout
    broken: int = 0
    broken_by_kind: dict[str, int] = field(default_factory=dict)
    samples: int = 0  # records with expected values in manifest.json
    seconds: float = 0.0

    def describe(self) -> str:
        """A few lines for a person."""
        layouts = ", ".join(f"{k} {v:,}" for k, v in self.by_layout.items())
        broken = ", ".join(f"{k} {v:,}" for k, v in self.broken_by_kind.items())
        return "\n".join(
            [
                f"synthetic corpus in {self.out_dir} (seed {self.seed})",
                f"  records     {self.records:,}  ({layouts})",
                f"  files       {self.files:,}  ({self.page_files:,} pages, "
                f"{self.jsonl_files:,} .jsonl with {self.jsonl_lines:,} lines)",
                f"  duplicates  {self.duplicates:,} records captured twice",
                f"  broken      {self.broken:,}  ({broken})",
                f"  samples     {self.samples:,} in manifest.json",
                f"  size        {self.bytes / 1e6:,.1f} MB in {self.seconds:,.1f} s",
            ]
        )


def _truth_values(t: Truth) -> dict:
    """The sample's full truth, for manifest.json."""
    first_person = t.author_names[0] if t.authors else None
    return {
        "ncj": t.ncj,
        "title": t.title,
        "authors": list(t.authors),
        "first_author": first_person,
        "corporate_authors": [corporate_name(c) for c in t.corporate_forms],
        "date": jsonl_object(t)["date_published"],
        "year": t.date[0] if t.date else None,
        "pages": t.length,
        "journal": t.journal[0] if t.journal else None,
    }


def _expected(t: Truth, layout: str, variant: str, *, date_kept: bool = True) -> dict:
    """What a faithful reader recovers from this layout: only the values the page still shows."""
    truth = _truth_values(t)
    expect = {
        "ncj": truth["ncj"],
        "title": truth["title"],
        "first_author": truth["first_author"],
        "year": truth["year"],
        "pages": truth["pages"],
    }
    if layout == "ojp-modern" and variant == "bare":
        expect["title"] = None  # the bare capture has no title; only the URL slug hints at it
    if layout == "ojp-lossy":
        expect["ncj"] = None  # the label kept, its value lost
        expect["first_author"] = None  # authors stand unlabelled
        if not date_kept:
            expect["year"] = None
        expect["pages"] = None  # "N pages" stands unlabelled
    return expect


def entity_truth(t: Truth) -> dict:
    """Who a record names, for measuring entity resolution: each person mention as printed,
    as "Given Family" and the person's id; each organisation as printed (a corporate author's
    department lines after its name, joined by ", ") and the one it is."""
    people = [
        [printed, natural, pid, role]
        for role, printed_names, natural_names, ids in (
            ("author", t.authors, t.author_names, t.author_ids),
            ("editor", t.editors, t.editor_names, t.editor_ids),
        )
        for printed, natural, pid in zip(printed_names, natural_names, ids, strict=True)
    ]
    lines_of = (lambda c: c[2]) if t.layout == "abstract-aspx" else (lambda c: ())
    organizations = [
        [", ".join([corporate_name(form), *lines_of(entity)]), oid, "corporate"]
        for entity, form, oid in zip(t.corporate, t.corporate_forms, t.corporate_ids, strict=True)
    ] + [
        [name if acronym is None else f"{name} ({acronym})", oid, "sponsor"]
        for (name, acronym), oid in zip(t.sponsor_forms, t.sponsor_ids, strict=True)
    ]
    return {"ncj": t.ncj, "people": people, "organizations": organizations}


# -- damage -------------------------------------------------------------------------------------


# A cut page ends inside a word within this many characters of `CUT_AT` (else at `CUT_AT`).
CUT_BACK = 22
# Only a page more than this much longer than `CUT_AT` is cut, so that the cut loses fields.
CUT_MARGIN = 150
# Page file names end in this many hex digits of a hash, as the harvester's did.
PAGE_DIGEST_DIGITS = 16


def _cut_mid_word(body: str) -> str:
    """Cut like the harvester did, at `CUT_AT` characters, moved back to fall inside a word."""
    for p in range(CUT_AT, CUT_AT - CUT_BACK, -1):
        if body[p - 2].isalpha() and body[p - 1].isalpha() and body[p].isalpha():
            return body[:p] + "\n"
    return body[:CUT_AT].rstrip() + "\n"


def _junk(rng: random.Random) -> bytes:
    """Binary junk, like a PDF or an image saved under a .txt name."""
    head = rng.choice(
        (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            b"\x1f\x8b\x08\x00",
            b"PK\x03\x04\x14\x00\x06\x00",
        )
    )
    return head + rng.randbytes(rng.randint(300, 3000))


# -- one folder of records ----------------------------------------------------------------------


@dataclass
class _BlockResult:
    block: int
    by_layout: Counter
    by_variant: Counter
    page_files: int
    page_bytes: int
    jsonl: list[str]  # lines, each ending in "\n"
    broken: list[dict]  # "line" is the line in this block's jsonl list, to be offset
    duplicates: list[dict]
    samples: list[dict]  # likewise
    truth: list[str]  # each record's entities (`entity_truth`), a JSON line each


_WORLD: World | None = None


def _world(seed: int, records: int) -> World:
    global _WORLD
    if _WORLD is None or (_WORLD.seed, _WORLD.records) != (seed, records):
        _WORLD = World(seed, records)
    return _WORLD


def _page_name(t: Truth, url: str, layout: str) -> str:
    digest = hashlib.sha1(f"{layout} {url}".encode()).hexdigest()[:PAGE_DIGEST_DIGITS]
    return f"{t.index % RECORDS_PER_FOLDER:03d}_{digest}.txt"


def _write_block(job: tuple[Path, int, int, int, int]) -> _BlockResult:
    """Write folder `block` (records block*1000 .. +999): its pages, and return its JSON lines."""
    out_dir, seed, records, block, sample_every = job
    world = _world(seed, records)
    start = block * RECORDS_PER_FOLDER
    stop = min(records, start + RECORDS_PER_FOLDER)
    truths = [make_truth(world, i) for i in range(start, stop)]

    plan = random.Random(f"{seed}/block/{block}")
    free = [t for t in truths if t.index % sample_every]  # samples stay whole and single
    plan.shuffle(free)
    damage: dict[int, str] = {}
    twins: dict[int, tuple[str, str]] = {}
    pages = [t for t in free if t.layout != "jsonl"]
    lines = [t for t in free if t.layout == "jsonl"]
    for kind, pool in (("empty", pages), ("binary", pages), ("bad-json", lines)):
        for t in pool:
            if t.index not in damage:
                damage[t.index] = kind
                break
    for t in pages:  # only a page longer than the harvester kept can be cut
        if (
            t.index not in damage
            and len(render(seed, t, t.layout, t.variant)[1]) > CUT_AT + CUT_MARGIN
        ):
            damage[t.index] = "truncated"
            break
    modern = [t for t in pages if t.layout == "ojp-modern" and t.index not in damage]
    second = (
        ("abstract-aspx", "register"),
        ("ojp-lossy", "virtual-library"),
        ("abstract-aspx", "abstractdb"),
        ("abstract-aspx", "justinfo"),
    )
    for t in modern[:2]:
        twins[t.index] = plan.choice(second)

    folder = out_dir / "pages" / f"{block:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    result = _BlockResult(block, Counter(), Counter(), 0, 0, [], [], [], [], [])
    for t in truths:
        result.truth.append(json.dumps(entity_truth(t), ensure_ascii=False) + "\n")
        result.by_layout[t.layout] += 1
        result.by_variant[f"{t.layout}/{t.variant}"] += 1
        kind = damage.get(t.index)
        if t.layout == "jsonl":
            text = json.dumps(jsonl_object(t), ensure_ascii=False)
            if kind == "bad-json":
                text = text[: len(text) * 3 // 5]  # the export stopped mid-object
                result.broken.append(
                    {
                        "file": None,
                        "line": len(result.jsonl),
                        "kind": kind,
                        "ncj": t.ncj,
                        "layout": t.layout,
                    }
                )
            if t.index % sample_every == 0:
                result.samples.append(_sample(t, "jsonl", "jsonl", None, len(result.jsonl)))
            result.jsonl.append(text + "\n")
            continue
        files = [(t.layout, t.variant)]
        if t.index in twins:
            files.append(twins[t.index])
        written = []
        for n, (layout, variant) in enumerate(files):
            url, text, date_kept = render(seed, t, layout, variant)
            name = _page_name(t, url, layout)
            rel = f"pages/{block:04d}/{name}"
            data = text.encode("utf-8")
            if n == 0 and kind is not None:
                if kind == "empty":
                    data = b""
                elif kind == "binary":
                    data = _junk(random.Random(f"{seed}/{t.index}/junk"))
                else:  # truncated: the capture kept 2,000 characters of the page
                    first, body = text.split("\n", 1)
                    data = (first + "\n" + _cut_mid_word(body)).encode()
                result.broken.append(
                    {"file": rel, "line": None, "kind": kind, "ncj": t.ncj, "layout": layout}
                )
            (folder / name).write_bytes(data)
            result.page_files += 1
            result.page_bytes += len(data)
            written.append({"file": rel, "layout": layout, "variant": variant})
            if n == 0 and t.index % sample_every == 0:
                result.samples.append(_sample(t, layout, variant, rel, None, date_kept=date_kept))
        if len(written) > 1:
            result.duplicates.append({"ncj": t.ncj, "captures": written})
    return result


def _sample(
    t: Truth,
    layout: str,
    variant: str,
    rel: str | None,
    line: int | None,
    *,
    date_kept: bool = True,
) -> dict:
    return {
        "index": t.index,
        "layout": layout,
        "variant": variant,
        "file": rel,
        "line": line,
        "expect": _expected(t, layout, variant, date_kept=date_kept),
        "truth": _truth_values(t),
    }


# -- the corpus -----------------------------------------------------------------------------------


def write_corpus(
    out_dir: Path,
    *,
    records: int,
    seed: int = 0,
    workers: int = 1,
    sample_every: int = 1000,
    overwrite: bool = False,
) -> SynthSummary:
    """Write `records` synthetic NCJRS records under `out_dir` and describe them in manifest.json.

    Pages go to ``pages/NNNN/`` (1,000 records a folder, named like the harvester's
    ``000_7b2de9bc7c974c8c.txt``), JSON Lines to ``jsonl/records-NNN.jsonl``. `workers` processes
    share the folders; the bytes written do not depend on it. Every `sample_every`-th record is
    kept whole and single and its expected values go to the manifest. An existing corpus in
    `out_dir` is refused unless `overwrite`.

    >>> summary = write_corpus(Path("corpus"), records=250_000, seed=7, workers=2)  # doctest: +SKIP
    """
    if records < 1:
        raise ConfigError(f"records must be at least 1, not {records}")
    if sample_every < 1:
        raise ConfigError(f"sample_every must be at least 1, not {sample_every}")
    out_dir = Path(out_dir)
    existing = [out_dir / p for p in ("pages", "jsonl", "manifest.json", TRUTH_FILE)]
    if any(p.exists() for p in existing):
        if not overwrite:
            raise ConfigError(
                "a corpus is already there; pass overwrite to replace it", file=str(out_dir)
            )
        for p in existing:
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "jsonl").mkdir()
    started = time.perf_counter()

    blocks = (records + RECORDS_PER_FOLDER - 1) // RECORDS_PER_FOLDER
    jobs = [(out_dir, seed, records, b, sample_every) for b in range(blocks)]
    by_layout: Counter = Counter()
    by_variant: Counter = Counter()
    broken: list[dict] = []
    duplicates: list[dict] = []
    samples: list[dict] = []
    page_files = page_bytes = jsonl_bytes = jsonl_lines = 0
    jsonl_names: list[str] = []
    lines_in_file: dict[str, int] = {}
    # mtime 0 and no file name in the gzip header: the same bytes for the same seed
    raw = open(out_dir / TRUTH_FILE, "wb")  # noqa: SIM115 - closed after the loop
    truth_file = io.TextIOWrapper(
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0),
        encoding="utf-8",
        newline="\n",
    )

    for result in _run(jobs, workers=workers):
        truth_file.writelines(result.truth)
        by_layout.update(result.by_layout)
        by_variant.update(result.by_variant)
        page_files += result.page_files
        page_bytes += result.page_bytes
        duplicates += result.duplicates
        rel = f"jsonl/records-{result.block // FOLDERS_PER_JSONL:03d}.jsonl"
        base = lines_in_file.get(rel, 0)
        if result.jsonl:
            if rel not in lines_in_file:
                jsonl_names.append(rel)
            with open(out_dir / rel, "a", encoding="utf-8", newline="\n") as handle:
                handle.writelines(result.jsonl)
            lines_in_file[rel] = base + len(result.jsonl)
            jsonl_lines += len(result.jsonl)
            jsonl_bytes += sum(len(line.encode("utf-8")) for line in result.jsonl)
        for item in result.broken + result.samples:
            if item["line"] is not None:  # 1-based line in the .jsonl file
                item["file"], item["line"] = rel, base + item["line"] + 1
        broken += result.broken
        samples += result.samples

    truth_file.close()
    raw.close()
    broken_by_kind = {kind: sum(1 for b in broken if b["kind"] == kind) for kind in BROKEN_KINDS}
    summary = SynthSummary(
        out_dir=str(out_dir),
        seed=seed,
        records=records,
        files=page_files + len(jsonl_names),
        page_files=page_files,
        jsonl_files=len(jsonl_names),
        jsonl_lines=jsonl_lines,
        bytes=page_bytes + jsonl_bytes,
        by_layout={k: by_layout[k] for k in LAYOUTS},
        by_variant=dict(sorted(by_variant.items())),
        duplicates=len(duplicates),
        broken=len(broken),
        broken_by_kind=broken_by_kind,
        samples=len(samples),
    )
    manifest = {
        "generator": "kg.synth",
        "version": 1,
        "seed": seed,
        "records": records,
        "sample_every": sample_every,
        "counts": {
            "files": summary.files,
            "page_files": page_files,
            "jsonl_files": len(jsonl_names),
            "jsonl_lines": jsonl_lines,
            "bytes": summary.bytes,
            "by_layout": summary.by_layout,
            "by_variant": summary.by_variant,
            "duplicates": summary.duplicates,
            "broken": summary.broken,
            "broken_by_kind": broken_by_kind,
        },
        "jsonl_fields": list(JSONL_FIELDS),
        "jsonl_files": jsonl_names,
        "truth": TRUTH_FILE,
        "broken": broken,
        "duplicates": duplicates,
        "samples": samples,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8")
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _run(jobs: list[tuple], *, workers: int) -> Iterator[_BlockResult]:
    """The blocks' results in block order, from this process or from `workers` processes."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_write_block, jobs)
        return
    workers = min(workers, len(jobs), os.cpu_count() or 1)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_write_block, jobs, chunksize=1)
