// The query page: a small SPARQL editor (a textarea over a highlighted copy of its text),
// example queries, a results table and download links. No libraries, nothing from other sites.
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

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cell(term) {
    var td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      var a = el("a", { href: term.value }, term.value);
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
      td.className = "sq-bnode";
    } else {
      td.textContent = term.value;
      var note = term["xml:lang"] ? "@" + term["xml:lang"] :
        (term.datatype ? term.datatype.replace("http://www.w3.org/2001/XMLSchema#", "xsd:") : "");
      if (note) td.appendChild(el("span", { "class": "sq-note" }, " " + note));
    }
    return td;
  }

  function showTable(results, box) {
    if (results.boolean !== undefined) {
      box.appendChild(el("p", { "class": "sq-boolean" }, String(results.boolean)));
      return 1;
    }
    var vars = results.head.vars, rows = results.results.bindings;
    var table = el("table", { "class": "sq-table" });
    var tr = el("tr");
    vars.forEach(function (v) { tr.appendChild(el("th", { scope: "col" }, "?" + v)); });
    table.appendChild(el("thead")).appendChild(tr);
    var body = table.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var r = el("tr");
      vars.forEach(function (v) { r.appendChild(cell(row[v])); });
      body.appendChild(r);
    });
    box.appendChild(table);
    return rows.length;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("sq-form");
    var query = document.getElementById("sq-query");
    var code = document.getElementById("sq-code");
    var pre = code.parentNode;
    var status = document.getElementById("sq-status");
    var results = document.getElementById("sq-results");
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
      var started = performance.now();
      status.textContent = "running…";
      results.textContent = "";
      fetch(form.action, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Accept": "application/sparql-results+json, text/turtle;q=0.9"
        },
        body: "query=" + encodeURIComponent(query.value)
      }).then(function (resp) {
        var type = resp.headers.get("Content-Type") || "";
        return (type.indexOf("json") >= 0 ? resp.json() : resp.text()).then(function (data) {
          var ms = Math.round(performance.now() - started);
          if (!resp.ok) {
            status.textContent = "error " + resp.status + " (" + ms + " ms)";
            results.appendChild(el("pre", { "class": "sq-error" }, data.error || String(data)));
          } else if (typeof data === "string") {
            status.textContent = "graph (" + ms + " ms)";
            results.appendChild(el("pre", { "class": "sq-graph" }, data));
          } else {
            var n = showTable(data, results);
            status.textContent = n + (n === 1 ? " row" : " rows") + " (" + ms + " ms)";
          }
        });
      }).catch(function (err) {
        status.textContent = "the request failed: " + err;
      });
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
  });
})();
