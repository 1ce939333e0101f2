"""The pages in a real browser: headless Debian Chromium driven by Playwright.

They render under the Content-Security-Policy (stylesheet loads, no inline script runs, no
console errors), links lead where they say, a record IRI typed into the address bar lands on the
record page, and the metadata Zotero's embedded-metadata translator reads is there.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.live

HOSTILE = "999001"
CHROMIUM = next(
    (
        p
        for p in (
            "/usr/bin/chromium",
            shutil.which("chromium") or "",
            shutil.which("chromium-browser") or "",
        )
        if p and Path(p).exists()
    ),
    None,
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def hostile(base: str) -> dict[str, str]:
    """The title and journal of the markup-laden record, as its Turtle document says."""
    g = rdflib.Graph().parse(f"{base}doc/record/{HOSTILE}.ttl", format="turtle")
    r = rdflib.URIRef(f"{base}id/record/{HOSTILE}")
    journal = g.value(r, DCTERMS.isPartOf)
    return {
        "title": str(g.value(r, DCTERMS.title)),
        "journal": str(g.value(journal, rdflib.URIRef("http://schema.org/name"))),
    }


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium not found (make browser installs Debian's chromium)")
    with playwright.sync_playwright() as p:
        # Playwright starts it with a fresh temporary --user-data-dir of its own.
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page whose dialogs and console errors are recorded: a script run by record text would
    open a dialog; a blocked inline script or style would log a CSP error."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def clean(self) -> bool:
        return not self.dialogs and not self.errors


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    watched = Watched(context.new_page())
    yield watched
    context.close()


def test_record_iri_lands_on_a_rendered_record_page(page, live_server):
    p = page.page
    p.goto(f"{live_server}id/record/{HOSTILE}")
    assert p.url == f"{live_server}doc/record/{HOSTILE}.html"  # followed the 303
    expected = hostile(live_server)
    assert p.inner_text("h1") == expected["title"]  # shown as text, not run as markup
    assert p.inner_text("#abstract p").startswith("The abstract tries </script ")
    # The stylesheet loaded under the CSP: the header has its colour, the layout its columns.
    assert p.eval_on_selector("header.site", "e => getComputedStyle(e).backgroundColor") == (
        "rgb(22, 66, 91)"
    )
    assert p.eval_on_selector(".record", "e => getComputedStyle(e).display") == "grid"
    assert p.evaluate("() => document.querySelectorAll('img, script:not([type])').length") == 0
    assert page.clean(), (page.dialogs, page.errors)


def test_links_lead_to_the_entity_pages_and_back(page, live_server):
    p = page.page
    p.goto(f"{live_server}doc/record/{HOSTILE}.html")
    p.click("#authors a >> nth=0")
    p.wait_for_url("**/doc/person/**")
    assert p.url == f"{live_server}doc/person/ada-q-ohara.html"
    assert p.inner_text("h1") == "Ada Q. O'Hara"
    p.click("#records li a")
    p.wait_for_url("**/doc/record/**")
    assert p.url == f"{live_server}doc/record/{HOSTILE}.html"
    p.click("text=Test subjects")
    p.wait_for_url("**/doc/subject/**")
    assert p.inner_text("h1") == "Test subjects"
    assert p.locator("#records li a").count() == 1
    p.go_back()
    p.click("#source a")
    p.wait_for_url("**/doc/periodical/**")
    assert p.inner_text("h1") == hostile(live_server)["journal"]
    assert page.clean(), (page.dialogs, page.errors)


def test_every_format_link_answers_in_the_browser(page, live_server):
    p = page.page
    p.goto(f"{live_server}doc/record/{HOSTILE}.html")
    links = p.eval_on_selector_all(
        "ul.formats a", "els => els.map(e => [e.getAttribute('href'), e.getAttribute('type')])"
    )
    assert len(links) == 7
    for href, media in links:
        got = p.evaluate(
            "async (href) => { const r = await fetch(href);"
            " return [r.status, r.headers.get('content-type')]; }",
            href,
        )
        assert got[0] == 200, href
        assert got[1].split(";")[0] == media, href


def test_zotero_style_metadata_is_readable_from_the_page(page, live_server):
    p = page.page
    p.goto(f"{live_server}doc/record/241675.html")
    # What Zotero's Embedded Metadata translator reads: Highwire citation_* tags ...
    meta = p.evaluate(
        "() => Array.from(document.querySelectorAll('meta[name^=\"citation_\"]'))"
        ".map(m => [m.name, m.content])"
    )
    tags: dict[str, list[str]] = {}
    for name, content in meta:
        tags.setdefault(name, []).append(content)
    assert tags["citation_title"] == [
        "Describing Intimate Partner Stalking Over Time: An Effort to Inform Victim-Centered "
        "Service Provision"
    ]
    assert tags["citation_author"] == ["Lauren Bennett Cattaneo", "Sarah Cho", "Shelly Botuck"]
    assert tags["citation_publication_date"] == ["2011"]
    assert tags["citation_journal_title"] == ["Journal of Interpersonal Violence"]
    assert tags["citation_volume"] == ["26"] and tags["citation_issue"] == ["17"]
    # ... and the schema.org JSON-LD block.
    data = json.loads(
        p.evaluate(
            "() => document.querySelector('script[type=\"application/ld+json\"]').textContent"
        )
    )
    assert data["@type"] == "ScholarlyArticle"
    assert data["isPartOf"]["name"] == "Journal of Interpersonal Violence"
    assert [a["name"] for a in data["author"]] == tags["citation_author"]


def test_home_page_charts_and_browse_paging(page, live_server, tmp_path):
    p = page.page
    p.goto(live_server)
    years = p.locator("svg.chart >> nth=0")
    box = years.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 80
    assert p.locator("svg.chart >> nth=0 >> rect").count() > 5
    p.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    p.click("nav >> text=Browse")
    p.click(".card >> text=People")
    p.wait_for_url("**/browse/person")
    first = p.locator("#items li a").all_inner_texts()
    assert len(first) == 50
    assert p.locator("#items li .count").count() == 50  # each person's record count
    p.screenshot(path=str(tmp_path / "people.png"), full_page=True)
    p.click("a[rel=next]")
    p.wait_for_url("**page=2**")
    second = p.locator("#items li a").all_inner_texts()
    assert second and not set(second) & set(first)
    p.click("#items li a >> nth=0")
    p.wait_for_url("**/doc/person/**")
    assert p.inner_text("h1") == second[0]
    # A bar of the year chart leads to that year's records.
    p.goto(live_server)
    p.click("svg.chart >> nth=0 >> a >> nth=0")
    p.wait_for_load_state()
    assert "/browse/record?year=" in p.url and p.locator("#items li").count() >= 1
    # Every record, in title order.
    p.goto(f"{live_server}browse/record")
    p.click("#sorts >> text=Title")
    p.wait_for_url("**sort=title**")
    titles = p.locator("#items li a").all_inner_texts()
    assert len(titles) == 50 and titles[0].casefold() <= titles[-1].casefold()
    p.screenshot(path=str(tmp_path / "records.png"), full_page=True)
    assert page.clean(), (page.dialogs, page.errors)


def test_a_page_on_another_site_reads_every_answer(page, live_server):
    """CORS as Chromium enforces it: from another origin (`localhost` is not `127.0.0.1`),
    a query editor's request with a token and X-Requested-With passes its preflight, and
    OAI-PMH, /health and errors are readable, not hidden as network errors."""
    p = page.page
    p.goto(live_server.replace("127.0.0.1", "localhost") + "robots.txt")
    assert p.evaluate("location.origin") != live_server.rstrip("/")
    got = p.evaluate(
        """async (base) => {
          const asks = {
            sparql: ["sparql?query=ASK%7B%7D", {headers: {
              "Accept": "application/sparql-results+json",
              "Authorization": "Bearer token", "X-Requested-With": "XMLHttpRequest"}}],
            direct: ["sparql", {method: "POST", body: "ASK {}", headers: {
              "Content-Type": "application/sparql-query", "X-Requested-With": "XMLHttpRequest"}}],
            oai: ["oai?verb=Identify", {}],
            oaiPost: ["oai", {method: "POST", body: "verb=Identify", headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              "X-Requested-With": "XMLHttpRequest"}}],
            health: ["health", {}],
            missing: ["no/such/page", {}],
            malformed: ["sparql?query=ASK%7B", {headers: {"Accept": "application/json"}}],
          };
          const out = {};
          for (const [name, [path, init]] of Object.entries(asks)) {
            try {
              const r = await fetch(base + path, init);
              out[name] = [r.status, (await r.text()).length > 0];
            } catch (e) {
              out[name] = String(e);
            }
          }
          return out;
        }""",
        live_server,
    )
    assert got == {
        "sparql": [200, True],
        "direct": [200, True],
        "oai": [200, True],
        "oaiPost": [200, True],
        "health": [200, True],
        "missing": [404, True],
        "malformed": [400, True],
    }


def test_search_from_the_header_narrow_by_a_facet_and_page_on(page, live_server, tmp_path):
    p = page.page
    p.goto(f"{live_server}browse/")
    p.fill("header form[role=search] input[name=q]", "the")
    p.press("header form[role=search] input[name=q]", "Enter")
    p.wait_for_url("**/search?q=the")
    assert p.input_value("#q") == "the"
    total = int(p.inner_text("#total").split()[0].replace(",", ""))
    hits = p.locator("#hits > li")
    assert total > 1 and hits.count() >= 1
    assert p.locator("#hits mark").count() >= 1  # the matched words highlighted
    p.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    # A facet narrows the search and shows as chosen, with a link that removes it.
    facet = p.locator("#facet-decade li a >> nth=0")
    value = facet.inner_text()
    count = int(p.inner_text("#facet-decade li small >> nth=0").replace(",", ""))
    facet.click()
    p.wait_for_url("**facet=decade**")
    narrowed = int(p.inner_text("#total").split()[0].replace(",", ""))
    assert narrowed == count and narrowed <= total
    assert value in p.inner_text("#chosen")
    p.screenshot(path=str(tmp_path / "narrowed.png"), full_page=True)
    # Paging on keeps the query and the facet.
    assert narrowed > 2
    p.goto(p.url + "&limit=2")
    first = p.locator("#hits > li a.title").all_inner_texts()
    assert len(first) == 2
    p.click("a[rel=next]")
    p.wait_for_url("**offset=2**")
    asked = urllib.parse.parse_qs(urllib.parse.urlsplit(p.url).query)
    assert asked["q"] == ["the"] and asked["facet"] == [f"decade:{value}"]
    second = p.locator("#hits > li a.title").all_inner_texts()
    assert second and not set(second) & set(first)
    assert p.inner_text("nav.pager strong") == "2"
    p.screenshot(path=str(tmp_path / "page-2.png"), full_page=True)
    # The chosen facet's link removes it: back to every match.
    p.click("#chosen a")
    p.wait_for_load_state()
    assert int(p.inner_text("#total").split()[0].replace(",", "")) == total
    assert page.clean(), (page.dialogs, page.errors)


def test_a_merged_spelling_lands_on_the_nij_page_with_its_roles_and_parents(
    page, live_server, tmp_path
):
    """An old spelling's IRI follows 301 then 303 to NIJ's page, which shows its roles, its
    written forms and the organisations above it; a parent is a link to its own page."""
    p = page.page
    p.goto(f"{live_server}id/organization/us-dept-of-justice-nij-pub")
    assert p.url == f"{live_server}doc/organization/national-institute-of-justice.html"
    assert p.inner_text("h1") == "National Institute of Justice"
    roles = p.locator("#roles .role").all_inner_texts()
    assert {"sponsor", "funder", "publisher", "distributor"} <= set(roles)
    assert "US Dept of Justice NIJ Pub" in p.locator("#written li").all_inner_texts()
    box = p.locator("#entity-facts").bounding_box()
    assert box and box["width"] > 300
    p.screenshot(path=str(tmp_path / "nij.png"), full_page=True)
    p.click("#parents a >> nth=0")
    p.wait_for_url("**/doc/organization/office-of-justice-programs.html")
    assert "National Institute of Justice" in p.locator("#children a").all_inner_texts()
    assert page.clean(), (page.dialogs, page.errors)


def test_downloads_page_says_what_each_file_is_and_lists_the_releases(page, tmp_path):
    """Two builds (a record changed between them): the newest release with its change files,
    each file's purpose, size and loading line readable, and the older release one click away."""
    from kg.build import build
    from kg.settings import Settings
    from kg.web import create_app

    from .conftest import SEEDS
    from .test_oai import serve

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("ncj-100895.txt", "ncj-118663.txt", "ncj-190553.txt"):
        shutil.copy(SEEDS / name, folder / name)
    settings = Settings.from_env(environ={}, data_dir=tmp_path / "d", progress=False, workers=1)
    build([folder], settings=settings)
    changed = folder / "ncj-100895.txt"
    changed.write_text(changed.read_text().replace("18 jurisdictions", "19 jurisdictions"))
    build([folder], settings=settings)
    manifest = json.loads((tmp_path / "d" / "current" / "manifest.json").read_text())
    with serve(create_app(settings)) as oai:
        base = oai.removesuffix("oai")
        p = page.page
        p.goto(f"{base}dumps/")
        rows = p.locator("#dumps tbody tr")
        assert rows.count() == len(manifest["dumps"]) + 1  # and SHA256SUMS
        for n in range(rows.count()):
            row = rows.nth(n)
            assert row.locator(".what").inner_text().strip()  # what it is for
            assert row.locator("code.load").inner_text().strip()  # how to load it
            assert "B" in row.locator("td.num").inner_text()  # its size, in bytes or KiB
        assert p.eval_on_selector("#dumps", "e => e.getBoundingClientRect().width") <= 1280
        assert "kg-removed.nt.gz" in p.inner_text("#dumps") and "triples" in p.inner_text("main")
        p.screenshot(path=str(tmp_path / "dumps.png"), full_page=True)
        releases = p.locator("#releases-list tbody tr a").all_inner_texts()
        assert len(releases) == 2 and releases[0] == manifest["release"]
        p.locator("#releases-list tbody a", has_text=releases[1]).first.click()
        p.wait_for_url(f"**/dumps/{releases[1]}/")
        assert p.inner_text("h1") == f"Release {releases[1]}"
        assert "kg.nt.gz" in p.locator("#dumps").inner_text()
        p.screenshot(path=str(tmp_path / "release.png"), full_page=True)
        p.goto(base)
        assert "kg-added.nt.gz" in p.inner_text("#download")
        p.locator("#download").screenshot(path=str(tmp_path / "home-download.png"))
        assert page.clean(), (page.dialogs, page.errors)
