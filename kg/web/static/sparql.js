// The query page: a small SPARQL editor (a textarea over a highlighted copy of its text),
// example queries and a download link. Running a query submits the form (GET): the server
// answers with this page, the query in its URL and its answer as a table. No libraries,
// nothing from other sites.
(function () {
  "use strict";

  var KEYWORDS = new Set((
    "BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT DESCRIBE ASK FROM NAMED WHERE GROUP BY " +
    "HAVING ORDER ASC DESC LIMIT OFFSET VALUES OPTIONAL GRAPH SERVICE SILENT BIND UNDEF MINUS " +
    "UNION FILTER NOT IN EXISTS A TRUE FALSE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR " +
    "STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN " +
    "UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY " +
    "HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE " +
    "IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE"
  ).split(" "));

  // One pass over the text; the order of the alternatives matters (comments and strings first).
  var TOKEN = new RegExp([
    "(#[^\\n\\r]*)",                                                    // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                                         // 3 IRI
    "([?$][\\w]+)",                                                     // 4 variable
    "((?:[A-Za-z][\\w.-]*)?:[\\w.:%-]*|_:[\\w.-]+)",                    // 5 prefixed name
    "(@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",                                   // 6 language tag
    "([A-Za-z_]\\w*)",                                                  // 7 word
    "([+-]?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)"                         // 8 number
  ].join("|"), "g");
  var CLASSES = [null, "c", "s", "i", "v", "p", "l", "k", "n"];

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    var out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, m.index));
      var group = 1;
      while (m[group] === undefined) group++;
      var cls = CLASSES[group];
      if (cls === "k" && !KEYWORDS.has(m[0].toUpperCase())) cls = null;
      out += cls ? '<span class="sq-' + cls + '">' + escapeHtml(m[0]) + "</span>" : escapeHtml(m[0]);
      last = TOKEN.lastIndex;
    }
    return out + escapeHtml(text.slice(last)) + "\n";
  }

  // Longer than this, a query goes by POST: the server reads URLs of at most 8000 bytes.
  var LONGEST_GET = 6000;

  // The offset in the text of a line and column counted from 1 (the parser's position).
  function offsetOf(text, line, column) {
    var lines = text.split("\n"), offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    return Math.min(text.length, offset + column - 1);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("sq-form");
    var query = document.getElementById("sq-query");
    var code = document.getElementById("sq-code");
    var pre = code.parentNode;
    var format = document.getElementById("sq-format");
    var download = document.getElementById("sq-download");
    var examples = JSON.parse(document.getElementById("sq-examples").textContent);
    var picker = document.getElementById("sq-example");

    function refresh() {
      code.innerHTML = highlight(query.value);
      pre.scrollTop = query.scrollTop;
      pre.scrollLeft = query.scrollLeft;
      download.href = form.action + "?query=" + encodeURIComponent(query.value) +
        "&format=" + encodeURIComponent(format.value);
      download.setAttribute("download", "results." + ({
        json: "srj", xml: "srx", turtle: "ttl", ntriples: "nt", jsonld: "jsonld", rdfxml: "rdf"
      }[format.value] || format.value));
    }

    function run() {
      // The page that answers is a shareable link, unless the query is too long for a URL.
      form.method = encodeURIComponent(query.value).length > LONGEST_GET ? "post" : "get";
      form.submit();
    }

    picker.addEventListener("change", function () {
      var chosen = examples.filter(function (e) { return e.name === picker.value; })[0];
      if (chosen) { query.value = chosen.text; refresh(); run(); }
    });
    query.addEventListener("input", refresh);
    query.addEventListener("scroll", refresh);
    format.addEventListener("change", refresh);
    query.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
      if (ev.key === "Tab" && !ev.shiftKey) {  // indent rather than leave the editor
        ev.preventDefault();
        var s = query.selectionStart;
        query.setRangeText("  ", s, query.selectionEnd, "end");
        refresh();
      }
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
    refresh();
    if (query.dataset.errorLine) {  // put the cursor where the parser stopped
      var at = offsetOf(query.value, +query.dataset.errorLine, +query.dataset.errorColumn);
      query.focus();
      query.setSelectionRange(at, at);
    }
  });
})();
