"""The search figures of the benchmark: the index's size against the store's, /search latency at
8 concurrent clients over a mix of 100 queries, and relevance (a record's full title finds it
first), on the benchmark's corpus and on the seeds.

Used by bench/run.py; `python bench/search_bench.py DATA_DIR [SEEDS_DATA_DIR]` measures built
data folders.
"""

from __future__ import annotations

import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from kg.search import SearchIndex

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("one word", "two words", "phrase", "fielded", "facet filter", "empty with facets")
WORD = re.compile(r"[A-Za-z]{4,}")
STOP = {"with", "from", "that", "this", "their", "they", "them", "what", "when", "into", "than"}


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def query_mix(index: SearchIndex, n: int = 100, seed: int = 0) -> list[tuple[str, dict]]:
    """(kind, URL parameters) of n queries, the six kinds in turn, from the index's own records."""
    rng = random.Random(seed)
    listed = index.search("", limit=100)
    hits = listed.hits + index.search("", limit=100, offset=100).hits
    titles = [WORD.findall(h.title) for h in hits]
    words = [w.lower() for t in titles for w in t if w.lower() not in STOP]
    pairs = [(t[i], t[i + 1]) for t in titles for i in range(len(t) - 1)]
    surnames = [a.split()[-1] for h in hits for a in h.authors if a.split()]
    facets = [(name, v.value) for name, values in listed.facets.items() for v in values]
    mix = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        if kind == "one word":
            params = {"q": rng.choice(words)}
        elif kind == "two words":
            params = {"q": f"{rng.choice(words)} {rng.choice(words)}"}
        elif kind == "phrase":
            a, b = rng.choice(pairs)
            params = {"q": f'"{a} {b}"'}
        elif kind == "fielded":
            params = {
                "q": f"author:{rng.choice(surnames)}" if surnames else f"title:{rng.choice(words)}"
            }
        elif kind == "facet filter":
            name, value = rng.choice(facets)
            params = {"q": rng.choice(words), "facet": f"{name}:{value}"}
        else:
            name, value = rng.choice(facets)
            params = {"q": "", "facet": f"{name}:{value}"}
        mix.append((kind, {**params, "format": "json"}))
    return mix


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def distinct_mix(index: SearchIndex, n: int = 3_000) -> list[tuple[str, dict]]:
    """Queries drawn as query_mix draws them, each once: none is answered from the server's
    kept answers, so their latency is the search's own."""
    seen, out = set(), []
    for kind, params in query_mix(index, n=n, seed=1):
        key = tuple(sorted(params.items()))
        if key not in seen:
            seen.add(key)
            out.append((kind, params))
    return out


def latencies(
    data: Path,
    mix: list[tuple[str, dict]],
    *,
    clients: int,
    seconds: float,
    once: bool = False,
) -> dict:
    """p50 and p95 of /search through a new `kg serve`, `clients` at once, the mix in turn
    (`once`: each query asked once, until the mix or the time runs out)."""
    import http.client

    port = free_port()
    kg = Path(sys.executable).parent / "kg"
    server = subprocess.Popen(
        [str(kg), "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        paths = ["/search?" + urllib.parse.urlencode(p) for _, p in mix]
        times: list[float] = []
        errors = 0
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client(n: int) -> None:
            nonlocal errors
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine, i = [], n
            while time.monotonic() < deadline and not (once and i >= len(paths)):
                started = time.perf_counter()
                conn.request("GET", paths[i % len(paths)])
                response = conn.getresponse()
                response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    with lock:
                        errors += 1
                i += clients
            with lock:
                times.extend(mine)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "requests": len(times),
        "errors": errors,
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
    }


def norm(title: str) -> str:
    return " ".join(w.lower() for w in re.findall(r"\w+", title))


SAMPLE = 2_000  # titles searched for the relevance figures (all of them in a smaller index)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def titled_records(index: SearchIndex, sample: int, seed: int = 0) -> list:
    """A fixed sample of the records with a title, in index order."""
    hits, offset = [], 0
    while True:
        page = index.search("", limit=100, offset=offset)
        if not page.hits:
            break
        offset += 100
        hits += [h for h in page.hits if query_words(h.title)]
    if len(hits) <= sample:
        return hits
    return random.Random(seed).sample(hits, sample)


def query_words(title: str) -> list[str]:
    return [w for w in re.findall(r"\w+", title)[:32] if w.upper() != "OR"]


def misspelt(word: str, rng: random.Random) -> str:
    """One edit a typist makes: a letter dropped, two swapped, or one struck for another."""
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("drop", "swap", "strike"))
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(LETTERS.replace(word[i].lower(), "")) + word[i + 1 :]


def rank_of(index: SearchIndex, q: str, hit, within: int) -> bool:
    """Is the record among the first `within` answers to q (records with its title aside)?"""
    ahead = 0
    hits = index.search(q, limit=100).hits
    for other in hits:
        if other.key == hit.key:
            return True
        if norm(other.title) != norm(hit.title):
            ahead += 1
            if ahead >= within:
                return False
    return len(hits) == 100  # a hundred records of its title and others' fewer ahead: a tie


def relevance(index: SearchIndex, sample: int = SAMPLE) -> dict:
    """Over a sample of the records with a title: does searching the title's words find the
    record first, and with one word (of five letters or more) misspelt, in the first three
    (records with an equal title ranked above it aside)?"""
    rng = random.Random(1)
    hits = titled_records(index, sample)
    first = fuzzy = fuzzy_total = 0
    for hit in hits:
        words = query_words(hit.title)
        first += rank_of(index, " ".join(words), hit, 1)
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            i = rng.choice(long)
            typed = [*words[:i], misspelt(words[i], rng), *words[i + 1 :]]
            fuzzy_total += 1
            fuzzy += rank_of(index, " ".join(typed), hit, 3)
    return {
        "titles": len(hits),
        "first": first,
        "share": first / len(hits) if hits else 1.0,
        "misspelt": fuzzy_total,
        "misspelt_top3": fuzzy,
        "misspelt_share": fuzzy / fuzzy_total if fuzzy_total else 1.0,
    }


def measure(
    data: Path, *, seeds_data: Path | None, clients: int = 8, seconds: float = 10.0
) -> dict:
    current = (Path(data) / "current").resolve()
    index = SearchIndex.open(current / "search")
    out = {
        "index_bytes": du(current / "search"),
        "store_bytes": du(current / "store"),
        "latency": latencies(data, query_mix(index), clients=clients, seconds=seconds),
        "latency_distinct": latencies(
            data, distinct_mix(index), clients=clients, seconds=seconds, once=True
        ),
        "relevance": relevance(index),
    }
    if seeds_data is not None:
        seeds = SearchIndex.open((Path(seeds_data) / "current" / "search").resolve())
        out["seeds_relevance"] = relevance(seeds)
    return out


def lines(search: dict, records: int) -> list[str]:
    lat, rel = search["latency"], search["relevance"]
    ratio = search["index_bytes"] / search["store_bytes"]
    out = [
        "",
        f"| search ({records:,} records) | figure | goal at 250k |",
        "|---|---:|---:|",
        f"| index size / store size | {search['index_bytes'] / 1e6:.1f} MB / "
        f"{search['store_bytes'] / 1e6:.1f} MB = {ratio:.2f} | <= 0.33 |",
        f"| /search p50 / p95, 8 clients, 100-query mix ({lat['requests']:,} requests, "
        f"{lat['errors']} errors) | {lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} ms | <= 20 / 60 ms |",
    ]
    once = search.get("latency_distinct")
    if once:
        out.append(
            f"| the same, every request a query not asked before ({once['requests']:,} "
            f"requests, {once['errors']} errors): nothing from the kept answers "
            f"| {once['p50_ms']:.1f} / {once['p95_ms']:.1f} ms | – |"
        )
    out += [
        f"| full title finds its record first ({rel['titles']:,} titles: a sample when more) "
        f"| {rel['share']:.1%} | >= 99% |",
    ]
    seeds = search.get("seeds_relevance")
    if seeds:
        out.append(f"| the same on the seeds ({seeds['titles']}) | {seeds['share']:.1%} | >= 99% |")
    out.append(
        f"| its title with one word misspelt finds it in the top 3 ({rel['misspelt']:,} titles) "
        f"| {rel['misspelt_share']:.1%} | >= 90% |"
    )
    if seeds:
        out.append(
            f"| the same on the seeds ({seeds['misspelt']}) | {seeds['misspelt_share']:.1%} "
            "| >= 90% |"
        )
    return out


if __name__ == "__main__":
    data = Path(sys.argv[1])
    result = measure(data, seeds_data=Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    records = SearchIndex.open((data / "current" / "search").resolve()).search("").total
    print("\n".join(lines(result, records)))


def build_seeds(work: Path) -> Path:
    """The seeds built into work/seeds-data, for their relevance figure."""
    import shutil

    from kg.build import build
    from kg.settings import Settings

    data = Path(work) / "seeds-data"
    shutil.rmtree(data, ignore_errors=True)
    build([ROOT / "seeds"], settings=Settings.from_env(environ={}, data_dir=data, progress=False))
    return data
