(function () {
  "use strict";
  var body = document.body;
  var svg = document.getElementById("graph");
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("g.node"));
  var edges = Array.prototype.slice.call(svg.querySelectorAll("path.edge"));
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  var canvas = document.getElementById("canvas");
  var fullWidth = Number(svg.getAttribute("width"));
  var fullHeight = Number(svg.getAttribute("height"));
  var zoom = 1;
  var byId = new Map();
  var parents = new Map();
  var edgesInto = new Map();
  nodes.forEach(function (n) { byId.set(n.getAttribute("data-id"), n); });
  edges.forEach(function (e) {
    var to = e.getAttribute("data-to");
    if (!parents.has(to)) { parents.set(to, []); edgesInto.set(to, []); }
    parents.get(to).push(e.getAttribute("data-from"));
    edgesInto.get(to).push(e);
  });

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
      a.textContent = value;
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
    document.getElementById("d-id").textContent = get("id");
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
    var direct = (parents.get(get("id")) || []).map(function (p) {
      return byId.get(p).getAttribute("data-title");
    });
    field(list, "Reads", direct.join("\n"));
    field(list, "Upstream", upstream + " node" + (upstream === 1 ? "" : "s"));
    field(list, "Unmatched", get("unmatched"));
    field(list, "Columns read", get("columns"));
    field(list, "Missing in dbt", get("missing"));
    document.getElementById("details-empty").hidden = true;
    panel.hidden = false;
  }

  function setZoom(z) {
    zoom = Math.min(2, Math.max(0.2, z));
    svg.setAttribute("width", String(Math.round(fullWidth * zoom)));
    svg.setAttribute("height", String(Math.round(fullHeight * zoom)));
    document.getElementById("zoom-level").textContent = Math.round(zoom * 100) + "%";
    body.setAttribute("data-zoom", zoom.toFixed(2));
  }

  function fitZoom() {
    return Math.min(1, (canvas.clientWidth - 8) / fullWidth, (canvas.clientHeight - 8) / fullHeight);
  }

  // Small projects fit the window's width; large ones stay readable and scroll.
  function autoZoom() {
    return Math.min(1, Math.max(0.7, (canvas.clientWidth - 8) / fullWidth));
  }

  function reveal(node) {
    var box = node.getBoundingClientRect();
    var view = canvas.getBoundingClientRect();
    if (box.left < view.left || box.right > view.right || box.top < view.top || box.bottom > view.bottom) {
      node.scrollIntoView({ block: "center", inline: "nearest" });
    }
  }

  function findExposure(key) {
    if (byId.has(key)) { return byId.get(key); }
    for (var i = 0; i < nodes.length; i += 1) {
      if (nodes[i].getAttribute("data-name") === key) { return nodes[i]; }
    }
    return null;
  }

  function applyHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var q = params.get("q") || "";
    search.value = q;
    applySearch(q);
    var z = params.get("zoom");
    setZoom(z === "fit" ? fitZoom() : (z && Number(z) > 0 ? Number(z) : autoZoom()));
    var wanted = params.get("select");
    var node = wanted ? findExposure(wanted) : null;
    select(node);
    if (node) { reveal(node); }
  }

  search.addEventListener("input", function () { applySearch(search.value); });
  svg.addEventListener("click", function (event) {
    var node = event.target.closest ? event.target.closest("g.node") : null;
    select(node);
  });
  svg.addEventListener("keydown", function (event) {
    var node = event.target.closest ? event.target.closest("g.node") : null;
    if (node && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); select(node); }
    if (event.key === "Escape") { select(null); }
  });
  document.getElementById("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  document.getElementById("zoom-fit").addEventListener("click", function () { setZoom(fitZoom()); });
  window.addEventListener("hashchange", applyHash);
  applyHash();
  body.setAttribute("data-drawn-nodes", String(nodes.length));
  body.setAttribute("data-drawn-edges", String(edges.length));
  body.setAttribute("data-ready", "true");
})();
