(function () {
  "use strict";
  var started = performance.now();
  var body = document.body;
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  var canvas = document.getElementById("canvas");
  var scopeButton = document.getElementById("scope");
  var wholeProject = document.getElementById("whole-project");
  var MIN_ZOOM = 0.1;
  var MAX_ZOOM = 2;
  // Below this, labels are too small to read (13px text at 6.5px).
  var READABLE_ZOOM = 0.5;
  var zoom = 1;
  // The graph drawn now, and what the script knows of it; rebuilt when the scope changes.
  var svg, nodes, edges, byId, parents, edgesInto, fullWidth, fullHeight;
  var lineageSvg = document.getElementById("graph");
  var projectSvg = null;

  function index(el) {
    svg = el;
    nodes = Array.prototype.slice.call(svg.querySelectorAll("g.node"));
    edges = Array.prototype.slice.call(svg.querySelectorAll("path.edge"));
    fullWidth = Number(svg.getAttribute("viewBox").split(" ")[2]);
    fullHeight = Number(svg.getAttribute("viewBox").split(" ")[3]);
    byId = new Map();
    parents = new Map();
    edgesInto = new Map();
    nodes.forEach(function (n) { byId.set(n.getAttribute("data-id"), n); });
    edges.forEach(function (e) {
      var to = e.getAttribute("data-to");
      if (!parents.has(to)) { parents.set(to, []); edgesInto.set(to, []); }
      parents.get(to).push(e.getAttribute("data-from"));
      edgesInto.get(to).push(e);
    });
    fitLabels();
    body.setAttribute("data-scope", svg.getAttribute("data-scope"));
    body.setAttribute("data-drawn-nodes", String(nodes.length));
    body.setAttribute("data-drawn-edges", String(edges.length));
  }

  // The server cuts labels by average glyph width; cut whatever the real font still
  // overflows, so no text runs into a box's edge.
  function fitLabels() {
    nodes.forEach(function (n) {
      var box = n.querySelector("rect.box");
      var room = Number(box.getAttribute("width"));
      n.querySelectorAll("text").forEach(function (t) {
        var limit = room - Number(t.getAttribute("x")) - 10;
        if (t.getComputedTextLength() <= limit) { return; }
        var text = t.textContent.replace(/…$/, "");
        while (text.length > 1 && t.getComputedTextLength() > limit) {
          text = text.slice(0, -1);
          t.textContent = text + "…";
        }
      });
    });
  }

  function applySearch(text) {
    var q = (text || "").trim().toLowerCase();
    var visible = 0;
    nodes.forEach(function (n) {
      var hit = q === "" || n.getAttribute("data-search").indexOf(q) !== -1;
      n.classList.toggle("dim", !hit);
      if (hit) { visible += 1; }
    });
    edges.forEach(function (e) {
      var from = byId.get(e.getAttribute("data-from"));
      var to = byId.get(e.getAttribute("data-to"));
      e.classList.toggle("dim", q !== "" && (from.classList.contains("dim") || to.classList.contains("dim")));
    });
    body.setAttribute("data-query", q);
    body.setAttribute("data-visible-count", String(visible));
    count.textContent = q === "" ? nodes.length + " nodes" : visible + " of " + nodes.length + " nodes match";
  }

  function ancestors(id) {
    var seen = new Set([id]);
    var queue = [id];
    var path = [];
    while (queue.length > 0) {
      var current = queue.shift();
      (edgesInto.get(current) || []).forEach(function (e) { path.push(e); });
      (parents.get(current) || []).forEach(function (p) {
        if (!seen.has(p)) { seen.add(p); queue.push(p); }
      });
    }
    return { nodes: seen, edges: path };
  }

  function clearSelection() {
    body.classList.remove("selecting");
    body.removeAttribute("data-selected");
    body.removeAttribute("data-path-count");
    svg.querySelectorAll(".on-path, .selected").forEach(function (el) {
      el.classList.remove("on-path", "selected");
    });
    document.getElementById("details-node").hidden = true;
    document.getElementById("details-empty").hidden = false;
  }

  function select(node) {
    clearSelection();
    if (!node) { return; }
    var id = node.getAttribute("data-id");
    var path = ancestors(id);
    path.nodes.forEach(function (n) { byId.get(n).classList.add("on-path"); });
    path.edges.forEach(function (e) { e.classList.add("on-path"); });
    node.classList.add("selected");
    body.classList.add("selecting");
    body.setAttribute("data-selected", id);
    body.setAttribute("data-path-count", String(path.nodes.size - 1));
    showDetails(node, path.nodes.size - 1);
  }

  // Break opportunities after dots, slashes and underscores, so an id or a URL wraps
  // between its parts rather than inside a word.
  function breakable(el, text) {
    el.textContent = "";
    text.split(/(?<=[./_])/).forEach(function (part, i) {
      if (i > 0) { el.appendChild(document.createElement("wbr")); }
      el.appendChild(document.createTextNode(part));
    });
  }

  function field(list, label, value, href) {
    if (!value) { return; }
    var dt = document.createElement("dt");
    dt.textContent = label;
    var dd = document.createElement("dd");
    if (href && /^https?:\/\//i.test(href)) {
      var a = document.createElement("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      breakable(a, value);
      dd.appendChild(a);
    } else {
      dd.textContent = value;
    }
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function showDetails(node, upstream) {
    var get = function (k) { return node.getAttribute("data-" + k) || ""; };
    var panel = document.getElementById("details-node");
    panel.setAttribute("class", "k-" + get("kind"));
    document.getElementById("d-kind").textContent = get("kind").replace("-", " ");
    document.getElementById("d-title").textContent = get("title");
    breakable(document.getElementById("d-id"), get("id"));
    var list = document.getElementById("d-fields");
    list.textContent = "";
    field(list, "Name", get("name"));
    field(list, "Mode", get("mode"));
    field(list, "Type", get("type"));
    field(list, "Project", get("project"));
    field(list, "Owner", get("owner"));
    field(list, "Email", get("email"));
    field(list, "URL", get("url"), get("url"));
    field(list, "Description", get("description"));
    field(list, "Relation", get("relation"));
    field(list, "Package", get("package"));
    field(list, "Workbook", get("workbook"));
    field(list, "Usage", get("usage"));
    var direct = (parents.get(get("id")) || []).map(function (p) {
      return byId.get(p).getAttribute("data-title");
    });
    field(list, "Reads", direct.join("\n"));
    field(list, "Upstream", upstream + " node" + (upstream === 1 ? "" : "s"));
    field(list, "Unmatched", get("unmatched"));
    var extra = [];
    try { extra = JSON.parse(get("extra") || "[]"); } catch (e) { extra = []; }
    extra.forEach(function (pair) { field(list, String(pair[0]), String(pair[1])); });
    field(list, "Columns read", get("columns"));
    field(list, "Missing in dbt", get("missing"));
    document.getElementById("details-empty").hidden = true;
    panel.hidden = false;
  }

  function setZoom(z) {
    zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
    svg.setAttribute("width", String(Math.round(fullWidth * zoom)));
    svg.setAttribute("height", String(Math.round(fullHeight * zoom)));
    document.getElementById("zoom-level").textContent = Math.round(zoom * 100) + "%";
    body.setAttribute("data-zoom", zoom.toFixed(2));
  }

  function fitZoom() {
    return Math.min(1, (canvas.clientWidth - 8) / fullWidth, (canvas.clientHeight - 8) / fullHeight);
  }

  function exposureBox() {
    var box = (svg.getAttribute("data-exposure-box") || "").split(" ").map(Number);
    return box.length === 4 ? box : [0, 0, fullWidth, fullHeight];
  }

  // Small projects fit the window's width; large ones stay readable and scroll, but never
  // so far that an exposure is out of view: the exposure column, heading included, fits.
  function openingZoom() {
    var box = exposureBox();
    var width = canvas.clientWidth - 8;
    var height = canvas.clientHeight - 8;
    var z = Math.min(1, Math.max(0.5, width / fullWidth));
    return Math.min(z, height / (box[1] + box[3]), width / (box[2] + 24));
  }

  // The exposures are the last column: scroll right until all of it shows.
  function showExposures() {
    var box = exposureBox();
    canvas.scrollTop = 0;
    canvas.scrollLeft = Math.max(0, (box[0] + box[2] + 24) * zoom - canvas.clientWidth);
  }

  // Zooms and scrolls so the selected node and everything upstream of it fill the view
  // (no closer than 100%): in a large project, a picked exposure's lineage becomes legible.
  function focusPath() {
    var on = svg.querySelectorAll("g.node.on-path, g.node.selected");
    if (on.length === 0) { return; }
    var left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    on.forEach(function (n) {
      var m = n.transform.baseVal.consolidate();
      var box = n.querySelector("rect.box");
      var x = m ? m.matrix.e : 0;
      var y = m ? m.matrix.f : 0;
      left = Math.min(left, x);
      top = Math.min(top, y);
      right = Math.max(right, x + Number(box.getAttribute("width")));
      bottom = Math.max(bottom, y + Number(box.getAttribute("height")));
    });
    var margin = 24;
    var fit = Math.min(1, (canvas.clientWidth - 8) / (right - left + 2 * margin),
      (canvas.clientHeight - 8) / (bottom - top + 2 * margin));
    if (fit >= READABLE_ZOOM) {
      setZoom(fit);
      canvas.scrollLeft = Math.max(0, (left - margin) * zoom);
      canvas.scrollTop = Math.max(0, (top - margin) * zoom);
      return;
    }
    // Too long a lineage to read whole: stay readable, with the selected node at the right
    // and its highlighted path leading off to the left.
    setZoom(READABLE_ZOOM);
    var selected = svg.querySelector("g.node.selected");
    var m = selected.transform.baseVal.consolidate();
    var x = m ? m.matrix.e : right;
    var y = m ? m.matrix.f : top;
    var w = Number(selected.querySelector("rect.box").getAttribute("width"));
    canvas.scrollLeft = Math.max(0, (x + w + margin) * zoom - canvas.clientWidth);
    canvas.scrollTop = Math.max(0, y * zoom - canvas.clientHeight / 2);
  }

  function findNode(key) {
    if (byId.has(key)) { return byId.get(key); }
    for (var i = 0; i < nodes.length; i += 1) {
      if (nodes[i].getAttribute("data-name") === key) { return nodes[i]; }
    }
    return null;
  }

  // Draws the lineage (what exposures read) or the whole project, keeping the search.
  function setScope(all) {
    var wanted = all && wholeProject ? "project" : "lineage";
    if (svg && svg.getAttribute("data-scope") === wanted) { return; }
    var next = lineageSvg;
    if (wanted === "project") {
      if (!projectSvg) { projectSvg = wholeProject.content.querySelector("svg").cloneNode(true); }
      next = projectSvg;
    }
    if (svg) { svg.replaceWith(next); } else if (next !== lineageSvg) { lineageSvg.replaceWith(next); }
    index(next);
    if (scopeButton) {
      scopeButton.setAttribute("aria-pressed", String(wanted === "project"));
      scopeButton.textContent = scopeButton.getAttribute(wanted === "project" ? "data-lineage" : "data-all");
    }
    applySearch(search.value);
  }

  function applyHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    setScope(params.get("scope") === "all");
    var q = params.get("q") || "";
    search.value = q;
    applySearch(q);
    var z = params.get("zoom");
    setZoom(z === "fit" ? fitZoom() : (z && Number(z) > 0 ? Number(z) : openingZoom()));
    showExposures();
    var wanted = params.get("select");
    var node = wanted ? findNode(wanted) : null;
    select(node);
    if (node) { focusPath(); }
  }

  search.addEventListener("input", function () { applySearch(search.value); });
  canvas.addEventListener("click", function (event) {
    var node = event.target.closest ? event.target.closest("g.node") : null;
    select(node);
  });
  canvas.addEventListener("keydown", function (event) {
    var node = event.target.closest ? event.target.closest("g.node") : null;
    if (node && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); select(node); }
    if (event.key === "Escape") { select(null); }
  });
  document.getElementById("details").addEventListener("click", function (event) {
    var pick = event.target.closest ? event.target.closest("[data-pick]") : null;
    if (!pick) { return; }
    var node = byId.get(pick.getAttribute("data-pick"));
    select(node);
    if (node) { focusPath(); }
  });
  if (scopeButton) {
    scopeButton.addEventListener("click", function () {
      var all = svg.getAttribute("data-scope") !== "project";
      var selected = body.getAttribute("data-selected");
      var started = performance.now();
      setScope(all);
      setZoom(openingZoom());
      showExposures();
      select(selected ? byId.get(selected) || null : null);
      body.setAttribute("data-scope-ms", String(Math.round(performance.now() - started)));
    });
  }
  document.getElementById("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  document.getElementById("zoom-fit").addEventListener("click", function () { setZoom(fitZoom()); });
  window.addEventListener("hashchange", applyHash);
  applyHash();
  body.setAttribute("data-script-ms", String(Math.round(performance.now() - started)));
  body.setAttribute("data-ready", "true");
})();
