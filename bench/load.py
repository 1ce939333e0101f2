"""Load test: `kg serve` on 127.0.0.1 under wrk, a mix of every kind of request at once.

The mix: record IRIs (303) and record documents in every format (by extension and by Accept),
entity pages, the example SPARQL queries of queries/, and dump downloads. wrk (Debian's
package; `make load-tools` installs it) runs the connections; a Lua script picks each request
from the mix and counts answers by status. The server's resident memory (with its query worker
processes) is sampled through the run.

    python bench/load.py --records 50500 --duration 120            # the long form (docs/load.md)
    python bench/load.py --data kg-data --duration 20 --json out.json

Bounded: wrk stops after --duration seconds or --max-requests answers, whichever comes first;
every process it starts is stopped at the end. Exit status 1 when any answer was an error.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"

RECORD_EXTENSIONS = ("html", "ttl", "nt", "jsonld", "rdf", "bib", "ris", "csl.json")
ACCEPTS = (
    "text/html",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
# How often each family is asked for by the browsing connections, out of 100 requests.
WEIGHTS = {"iri": 15, "record": 52, "negotiated": 16, "entity": 15, "dump": 2}
# Connections that run the example SPARQL queries back to back, out of the total. The endpoint
# runs 2 to 4 queries at once and answers 503 to more by design (docs/sparql.md), so SPARQL
# clients are a population of their own rather than a share of every connection's requests.
SPARQL_CONNECTIONS = 2


@dataclass
class GroupResult:
    """One population of connections: what it asked, what it got, how long it waited."""

    name: str
    connections: int
    requests: int
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def errors(self) -> int:
        """Every 4xx and 5xx, and every socket error and timeout."""
        bad = sum(n for status, n in self.statuses.items() if int(status) >= 400)
        return bad + sum(n for kind, n in self.socket_errors.items() if kind != "status")


@dataclass
class LoadResult:
    """What one run measured."""

    records: int
    seconds: float
    groups: list[GroupResult]
    rss_mb_start: float
    rss_mb_end: float
    rss_mb_max: float
    rss_samples: list[float] = field(repr=False)
    processes: dict[str, dict] = field(default_factory=dict, repr=False)
    machine: str = ""
    date: str = ""

    @property
    def connections(self) -> int:
        return sum(g.connections for g in self.groups)

    @property
    def requests(self) -> int:
        return sum(g.requests for g in self.groups)

    @property
    def errors(self) -> int:
        return sum(g.errors for g in self.groups)

    @property
    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for g in self.groups:
            for status, n in g.statuses.items():
                out[status] = out.get(status, 0) + n
        return out

    @property
    def growth_mb(self) -> float:
        """Resident memory growth across the run: last third's median against the first's."""
        return growth(self.rss_samples)

    def table(self) -> str:
        rows = [
            "| connections | requests | req/s | errors | p50 ms | p90 ms | p99 ms | p99.9 ms "
            "| max ms |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for g in self.groups:
            lat = g.latency_ms
            rows.append(
                f"| {g.connections} {g.name} | {g.requests:,} | {g.requests / self.seconds:.0f} "
                f"| {g.errors} | {lat['p50']:.1f} | {lat['p90']:.1f} | {lat['p99']:.1f} | "
                f"{lat['p99.9']:.1f} | {lat['max']:.1f} |"
            )
        rows.append(
            f"\n{self.records:,} records, {self.seconds:.0f} s, {self.requests:,} requests "
            f"({self.requests / self.seconds:.0f}/s), {self.errors} errors; server RSS "
            f"{self.rss_mb_start:.0f} → {self.rss_mb_end:.0f} MB (max {self.rss_mb_max:.0f}, "
            f"growth {self.growth_mb:+.1f} MB last third vs first)"
        )
        if self.processes:
            rows += [
                "",
                "| process | RSS start MB | end MB | max MB | growth MB | each minute MB |",
                "|---|---|---|---|---|---|",
            ]
            for role, m in self.processes.items():
                minutes = " ".join(f"{x:.0f}" for x in m["per_minute"])
                rows.append(
                    f"| {role} | {m['start']:.0f} | {m['end']:.0f} | {m['max']:.0f} | "
                    f"{m['growth']:+.1f} | {minutes} |"
                )
        return "\n".join(rows)


# -- the request mix -----------------------------------------------------------------------------


def sample_keys(data_dir: Path, *, limit: int = 400, seed: int = 1) -> dict[str, list[str]]:
    """Record and entity keys of the current build, read from its N-Triples dump."""
    dump = Path(data_dir) / "current" / "dumps" / "kg.nt.gz"
    pattern = re.compile(r"^<[^>]*/id/(record|person|organization|subject|periodical)/([^>#]+)>")
    found: dict[str, set[str]] = {}
    with gzip.open(dump, "rt", encoding="utf-8") as lines:
        for line in lines:
            match = pattern.match(line)
            if match:
                found.setdefault(match.group(1), set()).add(match.group(2))
    rng = random.Random(seed)
    return {k: rng.sample(sorted(v), min(limit, len(v))) for k, v in found.items()}


def sparql_mix() -> list[tuple[str, dict[str, str]]]:
    """Every example query of queries/, as a GET (what the query page's links do)."""
    return [
        (
            "/sparql?" + urllib.parse.urlencode({"query": q.read_text(encoding="utf-8")}),
            {"Accept": "application/sparql-results+json"},
        )
        for q in sorted(QUERIES.glob("*.rq"))
    ]


def request_mix(data_dir: Path, *, seed: int = 1) -> list[tuple[str, dict[str, str]]]:
    """1,000 (path, headers) pairs in the WEIGHTS proportions, shuffled: what Lua cycles."""
    keys = sample_keys(data_dir, seed=seed)
    rng = random.Random(seed)
    records = keys["record"]
    entities = [
        (k, key)
        for k in ("person", "organization", "subject", "periodical")
        for key in keys.get(k, [])
    ]
    mix: list[tuple[str, dict[str, str]]] = []
    for _ in range(10):
        for _ in range(WEIGHTS["iri"]):
            mix.append((f"/id/record/{rng.choice(records)}", {"Accept": rng.choice(ACCEPTS)}))
        for i in range(WEIGHTS["record"]):
            ext = RECORD_EXTENSIONS[i % len(RECORD_EXTENSIONS)]
            mix.append((f"/doc/record/{rng.choice(records)}.{ext}", {}))
        for _ in range(WEIGHTS["negotiated"]):
            mix.append((f"/doc/record/{rng.choice(records)}", {"Accept": rng.choice(ACCEPTS)}))
        for _ in range(WEIGHTS["entity"]):
            kind, key = rng.choice(entities)
            mix.append((f"/doc/{kind}/{key}", {"Accept": rng.choice(ACCEPTS)}))
        for _ in range(WEIGHTS["dump"]):
            mix.append((f"/dumps/{rng.choice(['kg.nt.gz', 'kg.ttl.gz', 'kg.jsonld.gz'])}", {}))
    rng.shuffle(mix)
    return mix


def lua_script(
    mix: list[tuple[str, dict[str, str]]], *, max_requests: int, threads: int = 2
) -> str:
    """wrk's script: each thread walks the mix from its own offset; answers are counted by
    status; a thread stops after its share of max_requests."""

    def lua_str(text: str) -> str:
        return json.dumps(text)  # a JSON string is a valid Lua string literal for ASCII text

    entries = ",\n".join(
        "{"
        + lua_str(path)
        + ", {"
        + ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in headers.items())
        + "}}"
        for path, headers in mix
    )
    return f"""
local mix = {{
{entries}
}}
local threads = {{}}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  i = (id * 7919) % #mix
  statuses = {{}}
  answered = 0
  limit = {max(1, max_requests // threads)}
end

function request()
  i = i % #mix + 1
  local entry = mix[i]
  return wrk.format("GET", entry[1], entry[2])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  answered = answered + 1
  if answered >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local counts = {{}}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for k, v in pairs(s) do
      counts[k] = (counts[k] or 0) + v
    end
  end
  local parts = {{}}
  for k, v in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', k, v))
  end
  io.write("KG-LOAD-RESULT ")
  io.write(string.format(
    '{{"requests": %d, "duration_us": %d, "errors": {{"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}}, "latency_us": {{"p50": %d, "p90": %d, ' ..
    '"p99": %d, "p99.9": %d, "max": %d, "mean": %f}}, "statuses": {{%s}}}}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, table.concat(parts, ", ")))
end
"""


# -- the server and its memory ------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, *, port: int, threads: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--data",
            str(data_dir),
            "--port",
            str(port),
            "--threads",
            str(threads),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("kg serve did not start") from None
            time.sleep(0.2)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """A process's children, whichever of its threads started them (a web worker starts its
    query workers from request threads, which the main thread's `children` file leaves out)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return found


def rss_by_process(pid: int) -> dict[str, float]:
    """Resident memory in MB of every process of the server, by its role: the server process
    (gunicorn's arbiter), each web worker it forked, and each web worker's SPARQL query
    workers together. Web workers are numbered in pid order."""
    out = {"server": _rss_kb(pid) / 1024}
    for n, worker in enumerate(sorted(_children(pid)), start=1):
        out[f"web worker {n}"] = _rss_kb(worker) / 1024
        queries = _children(worker)
        out[f"query workers of {n} ({len(queries)})"] = sum(map(_rss_kb, queries)) / 1024
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of the server and every process under it (query workers too), in MB."""
    return sum(rss_by_process(pid).values())


class MemorySampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[float] = []
        self.by_process: list[dict[str, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            parts = rss_by_process(self.pid)
            self.by_process.append(parts)
            self.samples.append(sum(parts.values()))
            self._halt.wait(self.every)

    def stop(self) -> list[float]:
        self._halt.set()
        self.join(5)
        return self.samples


def growth(samples: list[float]) -> float:
    """The median of the last third of the samples against that of the first third."""
    third = max(1, len(samples) // 3)
    return statistics.median(samples[-third:]) - statistics.median(samples[:third])


def per_process(by_process: list[dict[str, float]], *, every: float) -> dict[str, dict]:
    """Each process role's memory over the run: first, last, max, growth, and a sample a
    minute (the role's name changes with its number of query workers: the names are joined
    under the role without that number)."""
    roles: dict[str, list[float]] = {}
    for sample in by_process:
        seen = {}
        for name, mb in sample.items():
            role = name.split(" (")[0]
            seen[role] = seen.get(role, 0.0) + mb
        for role in roles.keys() | seen.keys():
            roles.setdefault(role, []).append(seen.get(role, 0.0))
    step = max(1, round(60 / every))
    return {
        role: {
            "start": mb[0],
            "end": mb[-1],
            "max": max(mb),
            "growth": growth(mb),
            "per_minute": mb[::step],
        }
        for role, mb in sorted(roles.items())
    }


# -- one run ------------------------------------------------------------------------------------


def run_wrk(
    base: str, script: Path, *, connections: int, duration: float, threads: int = 2
) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: run `make load-tools` (Debian's wrk package)")
    done = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 120,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("KG-LOAD-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    return json.loads(line.removeprefix("KG-LOAD-RESULT "))


def load_test(
    data_dir: Path,
    *,
    connections: int = 32,
    duration: float = 20,
    warmup: float = 3,
    max_requests: int = 1_000_000,
    server_threads: int = 8,
    seed: int = 1,
) -> LoadResult:
    """Serve data_dir, warm it up, run both populations at once under wrk (browsing and
    downloading on `connections - SPARQL_CONNECTIONS`, SPARQL on the rest), sample memory;
    always stop the server."""
    data_dir = Path(data_dir)
    manifest = json.loads((data_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    populations = [
        (
            "browsing, documents, dumps",
            request_mix(data_dir, seed=seed),
            connections - SPARQL_CONNECTIONS,
            2,
        ),
        ("SPARQL examples", sparql_mix(), SPARQL_CONNECTIONS, 1),
    ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(data_dir, port=port, threads=server_threads)
    try:
        with tempfile.TemporaryDirectory(prefix="kg-load-") as tmp:
            scripts = []
            for n, (_, mix, _, threads) in enumerate(populations):
                script = Path(tmp) / f"mix-{n}.lua"
                script.write_text(
                    lua_script(mix, max_requests=max_requests, threads=threads), encoding="utf-8"
                )
                scripts.append(script)

            def run_all(seconds: float) -> list[dict]:
                results: list[dict | BaseException] = [{}] * len(populations)

                def one(n: int) -> None:
                    _, _, conns, threads = populations[n]
                    try:
                        results[n] = run_wrk(
                            base, scripts[n], connections=conns, duration=seconds, threads=threads
                        )
                    except BaseException as exc:  # raised below, in order
                        results[n] = exc

                workers = [threading.Thread(target=one, args=(n,)) for n in range(len(scripts))]
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                for r in results:
                    if isinstance(r, BaseException):
                        raise r
                return results

            if warmup > 0:  # caches, query workers, first imports: not what is measured
                run_all(warmup)
            sampler = MemorySampler(proc.pid)
            sampler.start()
            raws = run_all(duration)
            samples = sampler.stop()
        if proc.poll() is not None:
            raise RuntimeError("kg serve died during the load test")
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(15)
    groups = [
        GroupResult(
            name=name,
            connections=conns,
            requests=raw["requests"],
            statuses=raw["statuses"],
            socket_errors=raw["errors"],
            latency_ms={k: v / 1000 for k, v in raw["latency_us"].items()},
        )
        for (name, _, conns, _), raw in zip(populations, raws, strict=True)
    ]
    return LoadResult(
        records=manifest.get("records") or 0,
        seconds=max(raw["duration_us"] for raw in raws) / 1e6,
        groups=groups,
        rss_mb_start=samples[0] if samples else 0.0,
        rss_mb_end=samples[-1] if samples else 0.0,
        rss_mb_max=max(samples) if samples else 0.0,
        rss_samples=samples,
        processes=per_process(sampler.by_process, every=sampler.every),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def build_graph(records: int, work: Path) -> Path:
    """A synthetic corpus of `records` and its build, reused when already there."""
    corpus, data = work / f"corpus-{records}", work / f"data-{records}"
    if not (data / "current" / "manifest.json").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kg.cli",
                "synth",
                "--records",
                str(records),
                "--out",
                str(corpus),
                "--overwrite",
            ],
            check=True,
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kg.cli",
                "build",
                str(corpus),
                "--out",
                str(data),
                "--no-progress",
            ],
            stdout=subprocess.DEVNULL,
        )
        if done.returncode not in (0, 1):  # 1: the corpus holds deliberately bad files
            raise RuntimeError("kg build failed")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a built data folder (else --records)")
    parser.add_argument("--records", type=int, default=50_500)  # about 50,200 are valid
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("bench-work"),
        help="where the synthetic corpus and its build are kept",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    data = args.data or build_graph(args.records, args.work)
    result = load_test(
        data,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        max_requests=args.max_requests,
        server_threads=args.server_threads,
    )
    print(f"{result.date}; {result.machine}")
    print(result.table())
    for g in result.groups:
        print(f"{g.name}: statuses {g.statuses}; socket errors {g.socket_errors}")
    if args.json:
        summary = {"growth_mb": result.growth_mb, "errors": result.errors}
        args.json.write_text(json.dumps(asdict(result) | summary, indent=1), encoding="utf-8")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
