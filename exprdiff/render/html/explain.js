/* exprdiff explainer: draws each point's graph from the page's JSON data and makes it
   interactive. Every text from the data is set with textContent, never parsed as markup.
   No network, no eval. Licence: MIT, as exprdiff. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(name, text, cls, parent) {
    var node = document.createElement(name);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }

  function layoutByDagre(data) {
    var g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "BT", nodesep: 22, ranksep: 40, marginx: 8, marginy: 8 });
    g.setDefaultEdgeLabel(function () { return {}; });
    data.nodes.forEach(function (n) { g.setNode(String(n.id), { width: n.w, height: n.h }); });
    data.edges.forEach(function (e, k) { g.setEdge(String(e.source), String(e.target), {}, "e" + k); });
    dagre.layout(g);
    var placed = {};
    data.nodes.forEach(function (n) { var p = g.node(String(n.id)); placed[n.id] = [p.x, p.y]; });
    var paths = data.edges.map(function (e, k) {
      var pts = g.edge({ v: String(e.source), w: String(e.target), name: "e" + k }).points;
      return "M" + pts.map(function (p) { return p.x.toFixed(1) + "," + p.y.toFixed(1); }).join(" L");
    });
    var info = g.graph();
    return { width: info.width, height: info.height, nodes: placed, edges: paths };
  }

  function Explainer(root, data) {
    this.root = root;
    this.data = data;
    this.byId = {};
    this.byName = {};
    this.step = 0;
    this.timer = null;
    var self = this;
    data.nodes.forEach(function (n) { self.byId[n.id] = n; self.byName[n.name] = n; });
    this.status = root.querySelector(".status");
    this.info = root.querySelector(".node-info");
    this.pathInfo = root.querySelector(".path-info");
    if (data.draw) this.draw(); else root.querySelector(".controls").hidden = true;
    this.bind();
    this.show(0);
  }

  Explainer.prototype.draw = function () {
    var data = this.data, self = this;
    var layout = data.layout || layoutByDagre(data);
    var svg = this.root.querySelector("svg.graph");
    var pad = 12, w = layout.width + 2 * pad, h = layout.height + 2 * pad;
    svg.setAttribute("viewBox", (-pad) + " " + (-pad) + " " + w + " " + h);
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow-" + this.root.id, viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerWidth: "8", markerHeight: "8", markerUnits: "userSpaceOnUse", orient: "auto" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", "class": "arrowhead" }, marker);
    var edgeLayer = el("g", { "class": "edges" }, svg);
    var nodeLayer = el("g", { "class": "nodes" }, svg);
    this.edgeViews = data.edges.map(function (e, k) {
      var g = el("g", { "class": "edge" + (e.kink ? " kink" : "") }, edgeLayer);
      var path = el("path", { d: layout.edges[k], "marker-end": "url(#arrow-" + self.root.id + ")" }, g);
      var title = el("title", {}, g);
      title.textContent = e.symbol + " = " + e.formula + (e.partial === null ? "" : " = " + e.partial);
      if (e.partial !== null) {
        var mid = path.getTotalLength ? path.getPointAtLength(path.getTotalLength() / 2) : { x: 0, y: 0 };
        var label = el("text", { x: mid.x + 3, y: mid.y + 4, "class": "partial" }, g);
        label.textContent = e.partial;
      }
      return g;
    });
    this.nodeViews = {};
    var wrap = svg.parentNode;
    data.nodes.forEach(function (n) {
      var p = layout.nodes[n.id];
      if (n.output) wrap.scrollLeft = Math.max(0, p[0] + pad - wrap.clientWidth / 2);
      var cls = "node " + n.kind + (n.output ? " output" : "") + (n.warning ? " kink" : "");
      var g = el("g", { "class": cls, tabindex: "0", role: "button",
        transform: "translate(" + (p[0] - n.w / 2) + "," + (p[1] - n.h / 2) + ")",
        "data-name": n.name, "aria-label": "node " + n.name + (n.name === n.operation ? "" :
          " = " + n.operation) + ", value " + n.value + (n.warning ? ", warning" : "") }, nodeLayer);
      el("rect", { width: n.w, height: n.h, rx: n.kind === "operation" ? 6 : 16 }, g);
      var title = el("title", {}, g);
      title.textContent = n.expression + (n.warning ? "\n⚠ " + n.warning : "");
      var head = n.name === n.operation ? n.name : n.name + " = " + n.operation;
      var lines = [[(n.warning ? "⚠ " : "") + (n.output && data.output === "f" ? "f = " : "") + head, "head"]];
      if (n.value !== null) lines.push(["value " + n.value, "value"]);
      if (n.kind !== "constant" && n.adjoint !== null) lines.push(["", "adjoint"]);
      var texts = {};
      lines.forEach(function (line, k) {
        var t = el("text", { x: 9, y: 18 + 16 * k, "class": line[1] }, g);
        t.textContent = line[0];
        texts[line[1]] = t;
      });
      self.nodeViews[n.id] = { g: g, adjoint: texts.adjoint };
      g.addEventListener("click", function () { self.select(n); });
      g.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); self.select(n); }
      });
    });
  };

  Explainer.prototype.bind = function () {
    var self = this, root = this.root;
    root.querySelector(".next").addEventListener("click", function () { self.stop(); self.show(self.step + 1); });
    root.querySelector(".prev").addEventListener("click", function () { self.stop(); self.show(self.step - 1); });
    root.querySelector(".all").addEventListener("click", function () { self.stop(); self.show(self.data.sweep.length); });
    root.querySelector(".play").addEventListener("click", function () { self.play(); });
    root.querySelector("select.variable").addEventListener("change", function (ev) { self.paths(ev.target.value); });
    root.addEventListener("keydown", function (ev) {
      if (ev.target.tagName === "SELECT" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.key === "ArrowRight") { self.stop(); self.show(self.step + 1); }
      else if (ev.key === "ArrowLeft") { self.stop(); self.show(self.step - 1); }
      else if (ev.key === "p") { self.play(); }
      else return;
      ev.preventDefault();
    });
  };

  Explainer.prototype.play = function () {
    var self = this, button = this.root.querySelector(".play");
    if (this.timer) { this.stop(); return; }
    if (this.step >= this.data.sweep.length) this.show(0);
    button.textContent = "Pause";
    this.timer = setInterval(function () {
      if (self.step >= self.data.sweep.length) self.stop(); else self.show(self.step + 1);
    }, 700);
  };

  Explainer.prototype.stop = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.root.querySelector(".play").textContent = "Play";
  };

  /* The backward sweep after `k` steps: the first k nodes of the sweep hold their adjoints;
     a node some of whose consumers are done shows its running sum. */
  Explainer.prototype.show = function (k) {
    var data = this.data, self = this, total = data.sweep.length;
    this.step = Math.max(0, Math.min(total, k));
    var done = {};
    data.sweep.slice(0, this.step).forEach(function (id) { done[self.byId[id] ? self.byId[id].name : id] = true; });
    var current = this.step > 0 ? this.byId[data.sweep[this.step - 1]] : null;
    if (data.draw) {
      data.nodes.forEach(function (n) {
        var view = self.nodeViews[n.id];
        view.g.classList.toggle("filled", !!done[n.name]);
        view.g.classList.toggle("current", current === n);
        if (!view.adjoint) return;
        view.g.classList.remove("growing");
        if (done[n.name]) { view.adjoint.textContent = "∂" + data.output + "/∂" + n.name + " = " + n.adjoint; return; }
        var terms = n.terms || [];
        var added = terms.length > 1 ? terms.filter(function (t) { return done[t.consumer]; }).length : 0;
        view.adjoint.textContent = added ?  /* a shared node, part way: its sum is growing */
          "∂" + data.output + "/∂" + n.name + ": " + added + " of " + terms.length + " terms" :
          "∂" + data.output + "/∂" + n.name + " = ?";
        view.g.classList.toggle("growing", added > 0);
      });
    }
    this.status.textContent = this.step === 0 ? "Backward sweep: press Next (→) to start" :
      "Backward sweep: step " + this.step + " of " + total + (current ? ", " + current.sum : "");
  };

  Explainer.prototype.select = function (n) {
    var data = this.data, self = this;
    var inputs = {}, consumers = {};
    data.edges.forEach(function (e, k) {
      var near = e.target === n.id || e.source === n.id;
      if (e.target === n.id) inputs[e.source] = true;
      if (e.source === n.id) consumers[e.target] = true;
      if (self.edgeViews) self.edgeViews[k].classList.toggle("near", near);
    });
    if (this.nodeViews) {
      data.nodes.forEach(function (m) {
        var g = self.nodeViews[m.id].g;
        g.classList.toggle("selected", m === n);
        g.classList.toggle("argument", !!inputs[m.id]);
        g.classList.toggle("consumer", !!consumers[m.id]);
      });
    }
    this.info.textContent = "";
    html("strong", n.sum || ("∂" + data.output + "/∂" + n.name + " (a constant has no adjoint)"), "sum", this.info);
    if (n.formula) html("span", n.formula, "formula", this.info);
    html("span", n.name + (n.name === n.operation ? "" : " = " + n.operation) + " · value " + n.value, "muted", this.info);
    if (n.warning) html("span", "⚠ " + n.warning, "warn", this.info);
  };

  Explainer.prototype.paths = function (name) {
    var data = this.data, self = this, found = data.paths[name];
    var on = {}, onEdge = {};
    this.pathInfo.textContent = "";
    if (found) {
      found.paths.forEach(function (p) {
        p.nodes.forEach(function (m) { on[m] = true; });
        for (var k = 0; k + 1 < p.nodes.length; k++) onEdge[p.nodes[k + 1] + ">" + p.nodes[k]] = true;
      });
      html("p", "Paths from the output to " + name + ": " + found.total, "muted", this.pathInfo);
      var list = html("ol", null, "path-list", this.pathInfo);
      found.paths.forEach(function (p) {
        html("li", p.nodes.join(" → ") + ": " + p.substituted + " = " + p.product, null, list);
      });
      if (found.why) html("p", found.why, "muted", this.pathInfo);
      html("p", "sum of the products: " + found.sum + " = ∂" + data.output + "/∂" + name + " = " + found.adjoint, "path-sum", this.pathInfo);
    }
    if (!data.draw) return;
    data.nodes.forEach(function (m) { self.nodeViews[m.id].g.classList.toggle("on-path", !!on[m.name]); });
    data.edges.forEach(function (e, k) {
      var key = self.byId[e.source].name + ">" + self.byId[e.target].name;
      self.edgeViews[k].classList.toggle("on-path", !!onEdge[key]);
    });
  };

  Array.prototype.forEach.call(document.querySelectorAll("section.explainer"), function (root) {
    var source = root.querySelector("script.page-data");
    if (source) root.explainer = new Explainer(root, JSON.parse(source.textContent));
  });
  /* when the page was ready, in ms from the start of navigation (read by the tests) */
  document.documentElement.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  window.addEventListener("beforeprint", function () {  /* paper shows every adjoint */
    Array.prototype.forEach.call(document.querySelectorAll("section.explainer"), function (root) {
      if (root.explainer) { root.explainer.stop(); root.explainer.show(root.explainer.data.sweep.length); }
    });
  });
})();
