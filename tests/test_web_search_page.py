"""The search pages: the box on every page, the OpenSearch description and the results page.

The results page is rendered from `SearchResult` objects made here by hand, so these tests say
what the page shows whatever index answers; the search itself is tested with the index.
"""

from __future__ import annotations

import urllib.parse

import pytest
from lxml import etree, html

from kg.search import FacetValue, Hit, SearchResult
from kg.web import create_app
from kg.web.search_page import html_error, html_page, snippet_markup

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@pytest.fixture(scope="module")
def app(web_graph):
    return create_app(web_graph.settings)


@pytest.fixture(scope="module")
def base(web_graph):
    return web_graph.base


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.mark.parametrize("path", ["/", "/browse/", "/browse/record", "/doc/record/241675"])
def test_every_page_has_the_search_box_and_the_opensearch_link(client, path):
    doc = html.fromstring(client.get(path).data)
    (form,) = doc.xpath("//header//form[@role='search']")
    assert form.get("method") == "get" and form.get("action") == "/search"
    (box,) = form.xpath(".//input[@name='q']")
    assert form.xpath(f".//label[@for='{box.get('id')}']")  # labelled, for screen readers
    (found,) = doc.xpath("//link[@rel='search']")
    assert found.get("type") == "application/opensearchdescription+xml"
    assert found.get("title") == "NCJRS knowledge graph" and found.get("href") == "/opensearch.xml"


def test_the_home_page_and_the_query_page_have_a_search_box(client):
    home = html.fromstring(client.get("/").data)
    assert len(home.xpath("//main//form[@role='search'][@action='/search']//input[@name='q']")) == 1
    sparql = html.fromstring(client.get("/sparql", headers={"Accept": "text/html"}).data)
    assert sparql.xpath("//header//form[@role='search'][@action='/search']//input[@name='q']")
    assert sparql.xpath("//link[@rel='search'][@href='/opensearch.xml']")


def test_opensearch_description(client, web_graph):
    resp = client.get("/opensearch.xml")
    assert resp.status_code == 200
    assert resp.mimetype == "application/opensearchdescription+xml"
    root = etree.fromstring(resp.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    short = root.findtext(f"{OPENSEARCH}ShortName")
    assert short and len(short) <= 16  # OpenSearch 1.1: at most 16 characters
    assert len(root.findtext(f"{OPENSEARCH}Description")) <= 1024
    assert root.findtext(f"{OPENSEARCH}InputEncoding") == "UTF-8"
    urls = {u.get("type"): u.get("template") for u in root.iter(f"{OPENSEARCH}Url")}
    base = web_graph.base
    assert urls["text/html"] == f"{base}search?q={{searchTerms}}"
    assert urls["application/json"] == f"{base}search?q={{searchTerms}}&format=json"
    image = root.find(f"{OPENSEARCH}Image")
    assert image.get("type") == "image/svg+xml"
    assert client.get(urllib.parse.urlsplit(image.text).path).status_code == 200


def hit(base: str, key: str, **fields) -> Hit:
    values = {
        "key": key,
        "iri": f"{base}id/record/{key}",
        "title": f"Record {key}",
        "year": 1990,
        "authors": ["D L MacKenzie"],
        "types": ["Report"],
        "journal": None,
        "snippet": "the <mark>boot</mark> <mark>camp</mark> &amp; after",
        "score": 1.0,
    }
    return Hit(**(values | fields))


def result(base: str, **fields) -> SearchResult:
    values = {
        "query": "boot camp",
        "total": 95,
        "offset": 40,
        "limit": 20,
        "sort": "newest",
        "filters": [("type", "Report")],
        "hits": [
            hit(base, "126413", journal="Corrections Today"),
            hit(base, "1", year=None, authors=[]),
        ],
        "facets": {
            "type": [FacetValue("Report", 60), FacetValue("Article", 35)],
            "decade": [FacetValue("1990s", 80)],
            "subject": [FacetValue("Shock incarceration", 12)],
        },
    }
    return SearchResult(**(values | fields))


def page(app, res: SearchResult) -> html.HtmlElement:
    with app.test_request_context("/search"):
        resp = html_page(res, None)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return html.fromstring(resp.get_data())


def query(href: str) -> dict[str, list[str]]:
    url = urllib.parse.urlsplit(href)
    assert url.path == "/search"
    return urllib.parse.parse_qs(url.query)


def test_results_show_the_hits_with_their_facts_and_highlighted_snippet(app, base):
    doc = page(
        app,
        result(
            base,
        ),
    )
    assert doc.get_element_by_id("q").get("value") == "boot camp"
    assert doc.get_element_by_id("site-q").get("value") == "boot camp"  # the header's box too
    assert "95 records" in doc.get_element_by_id("total").text_content()
    items = doc.xpath("//ol[@id='hits']/li")
    assert len(items) == 2 and doc.get_element_by_id("hits").get("start") == "41"
    first = items[0]
    assert first.xpath("a[@class='title']/@href") == ["/doc/record/126413.html"]
    meta = first.xpath(".//div[@class='meta']")[0].text_content()
    assert "D L MacKenzie" in meta and "1990" in meta and "Report" in meta
    assert "Corrections Today" in meta
    assert first.xpath(".//p[@class='snippet']/mark/text()") == ["boot", "camp"]
    assert first.xpath(".//p[@class='snippet']")[0].text_content() == "the boot camp & after"


def test_pages_keep_the_query_filters_and_sort(app, base):
    doc = page(
        app,
        result(
            base,
        ),
    )
    (prev,) = doc.xpath("//a[@rel='prev']/@href")
    (nxt,) = doc.xpath("//a[@rel='next']/@href")
    for href, offset in ((prev, "20"), (nxt, "60")):
        assert query(href) == {
            "q": ["boot camp"],
            "facet": ["type:Report"],
            "sort": ["newest"],
            "offset": [offset],
        }
    numbers = doc.xpath("//nav[@class='pager']/a[not(@rel)]")
    assert [a.text for a in numbers] == ["1", "2", "4", "5"]
    assert doc.xpath("//nav[@class='pager']/strong[@aria-current='page']/text()") == ["3"]
    assert "offset" not in query(numbers[0].get("href"))
    last = page(app, result(base, offset=80))
    assert not last.xpath("//a[@rel='next']") and last.xpath("//a[@rel='prev']")
    counts_only = page(app, result(base, limit=0, offset=0, hits=[]))
    assert not counts_only.xpath("//nav[@class='pager']")


def test_sort_links_keep_the_search_and_start_at_the_first_page(app, base):
    doc = page(
        app,
        result(
            base,
        ),
    )
    links = {a.text: query(a.get("href")) for a in doc.xpath("//nav[@id='sorts']/a")}
    assert set(links) == {"Relevance", "Oldest first"}
    assert links["Oldest first"] == {
        "q": ["boot camp"],
        "facet": ["type:Report"],
        "sort": ["oldest"],
    }
    assert "sort" not in links["Relevance"]  # relevance is the default
    assert doc.xpath("//nav[@id='sorts']/strong/text()") == ["Newest first"]


def test_facets_narrow_combine_and_a_chosen_one_can_be_removed(app, base):
    doc = page(
        app,
        result(
            base,
        ),
    )
    headings = doc.xpath("//aside[@id='facets']//h3/text()")
    assert headings == ["Decade", "Publication type", "Subject"]
    (decade,) = doc.xpath("//section[@id='facet-decade']//a")
    assert decade.text == "1990s" and decade.getnext().text == "80"
    assert query(decade.get("href"))["facet"] == ["type:Report", "decade:1990s"]  # combined
    assert "offset" not in query(decade.get("href"))
    report, article = doc.xpath("//section[@id='facet-type']//a")
    assert report.get("aria-current") == "true"
    assert "facet" not in query(report.get("href"))  # the chosen value's link removes it
    assert query(article.get("href"))["facet"] == ["type:Report", "type:Article"]
    (remove,) = doc.xpath("//p[@id='chosen']//a")
    assert "Publication type: Report" in remove.get("aria-label")
    assert query(remove.get("href")) == {"q": ["boot camp"], "sort": ["newest"]}


def test_an_empty_query_browses_the_collection_by_facets(app, base):
    doc = page(app, result(base, query="", filters=[], sort="relevance", offset=0))
    assert doc.get_element_by_id("q").get("value") == ""
    assert "95 records" in doc.get_element_by_id("total").text_content()
    (decade,) = doc.xpath("//section[@id='facet-decade']//a")
    assert query(decade.get("href")) == {"facet": ["decade:1990s"]}


def test_no_hits_says_so(app, base):
    doc = page(app, result(base, total=0, hits=[], facets={}, offset=0))
    assert "No records" in doc.get_element_by_id("total").text_content()
    assert not doc.xpath("//ol[@id='hits']") and not doc.xpath("//aside[@id='facets']")


def test_user_input_is_escaped_everywhere(app, base):
    evil = '"><script>alert(1)</script>'
    res = result(
        base,
        query=evil,
        filters=[("subject", evil)],
        hits=[hit(base, "2", title=evil, authors=[evil], journal=evil, types=[evil], snippet=evil)],
        facets={"subject": [FacetValue(evil, 1)]},
    )
    with app.test_request_context("/search"):
        body = html_page(res, None).get_data(as_text=True)
    assert "<script>" not in body
    doc = html.fromstring(body)
    assert doc.get_element_by_id("q").get("value") == evil
    assert doc.xpath("//p[@class='snippet']")[0].text_content() == evil  # shown, not run


def test_only_an_escaped_snippet_with_marks_is_rendered_as_markup():
    assert snippet_markup("a <mark>b</mark> &lt;c&gt; &#39;d&#x27;") == (
        "a <mark>b</mark> &lt;c&gt; &#39;d&#x27;"
    )
    for bad in ("<b>x</b>", "<mark onclick=x>y</mark>", "a & b", "<img src=x>", "</mark"):
        assert "<" not in snippet_markup(bad).replace("&lt;", "")


def test_a_malformed_query_shows_its_message_with_status_400(app, base):
    with app.test_request_context("/search"):
        resp = html_error('unbalanced quote: "boot camp at column 1', '"boot camp')
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    doc = html.fromstring(resp.get_data())
    assert "unbalanced quote" in doc.get_element_by_id("search-error").text_content()
    assert doc.get_element_by_id("q").get("value") == '"boot camp'


# -- end to end, on the seeds' index --------------------------------------------------------------


def test_the_header_box_finds_a_seed_record_by_its_words(client):
    doc = html.fromstring(client.get("/search?q=intimate+partner+stalking").data)
    titles = doc.xpath("//ol[@id='hits']/li/a[@class='title']")
    assert titles and "Stalking" in titles[0].text_content()
    assert titles[0].get("href") == "/doc/record/241675.html"
    assert client.get(titles[0].get("href")).status_code == 200
    assert doc.xpath("//ol[@id='hits']//p[@class='snippet']/mark")


def test_facet_links_narrow_the_search_and_the_chosen_one_removes_itself(client):
    doc = html.fromstring(client.get("/search?q=").data)
    everything = int(doc.get_element_by_id("total").text_content().split()[0].replace(",", ""))
    link = doc.xpath("//section[@id='facet-type']//a")[0]
    count = int(link.getnext().text.replace(",", ""))
    narrowed = html.fromstring(client.get(link.get("href")).data)
    total = narrowed.get_element_by_id("total").text_content()
    assert int(total.split()[0].replace(",", "")) == count < everything
    (remove,) = narrowed.xpath("//p[@id='chosen']//a")
    back = html.fromstring(client.get(remove.get("href")).data)
    assert (
        back.get_element_by_id("total").text_content()
        == doc.get_element_by_id("total").text_content()
    )


def test_the_opensearch_template_url_answers(client):
    root = etree.fromstring(client.get("/opensearch.xml").data)
    for u in root.iter(f"{OPENSEARCH}Url"):
        if u.get("rel") == "self":
            continue
        url = urllib.parse.urlsplit(u.get("template").replace("{searchTerms}", "stalking"))
        resp = client.get(f"{url.path}?{url.query}", headers={"Accept": "*/*"})
        assert resp.status_code == 200 and resp.mimetype == u.get("type"), u.get("type")


@pytest.mark.parametrize("query", ['"boot camp', "title:", "a OR", "year:19x0..1999"])
def test_a_malformed_query_is_a_400_page_that_says_why(client, query):
    resp = client.get("/search?" + urllib.parse.urlencode({"q": query}))
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    doc = html.fromstring(resp.data)
    assert doc.get_element_by_id("q").get("value") == query  # to be mended in place
    assert "column" in doc.get_element_by_id("search-error").text_content()


def test_a_bad_parameter_is_a_400_page(client):
    resp = client.get("/search?q=x&facet=nosuch:1")
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert "nosuch" in html.fromstring(resp.data).get_element_by_id("search-error").text_content()
