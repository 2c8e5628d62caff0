// Nexxo's bundle report: a treemap of outputs → packages → modules drawn on a canvas, a
// searchable module list (virtualised: only the visible rows exist in the DOM), "why is this
// here" chains, duplicates and a comparison with an earlier build. Self-contained: the data is
// embedded in the page (or, in `nexxo dev`, polled from the server), nothing is fetched from
// elsewhere, so the file works offline from file://.
(function () {
  "use strict";

  const ROW_HEIGHT = 24;
  const APP = "(app code)";
  const UNATTRIBUTED = "(unattributed)";

  const $ = (id) => document.getElementById(id);
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (key === "class") node.className = value;
        else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value);
      }
    }
    for (const child of children) {
      if (child == null) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function formatBytes(bytes) {
    if (bytes == null) return "–";
    const abs = Math.abs(bytes);
    if (abs < 1000) return `${Math.round(bytes)} B`;
    if (abs < 1e6) return `${(bytes / 1000).toFixed(2)} kB`;
    return `${(bytes / 1e6).toFixed(2)} MB`;
  }
  function hue(text) {
    let hash = 0;
    for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
    return Math.abs(hash) % 360;
  }

  let stats = null;
  let comparison = null;
  let importers = [];
  let sizeMode = "bytes";
  let selected = -1;
  let filtered = [];
  let rects = [];

  function readEmbedded(id) {
    const node = $(id);
    if (!node) return null;
    const text = node.textContent.trim();
    return text ? JSON.parse(text) : null;
  }

  // --- data ---------------------------------------------------------------------------------

  function setStats(next) {
    stats = next;
    importers = stats.modules.map(() => []);
    stats.modules.forEach((module, at) => {
      for (const target of module.imports.concat(module.dynamicImports)) {
        if (importers[target]) importers[target].push(at);
      }
    });
    if (selected >= stats.modules.length) selected = -1;
  }

  function compressedRatio(output) {
    if (sizeMode === "gzip" && output.gzip != null && output.bytes) return output.gzip / output.bytes;
    if (sizeMode === "brotli" && output.brotli != null && output.bytes) return output.brotli / output.bytes;
    return 1;
  }

  function chainOf(at) {
    const chain = [at];
    const seen = new Set(chain);
    let current = at;
    while (stats.modules[current] && stats.modules[current].parent != null) {
      current = stats.modules[current].parent;
      if (seen.has(current)) break;
      seen.add(current);
      chain.push(current);
    }
    return chain.reverse();
  }

  function packageLabel(index) {
    if (index == null) return APP;
    const pkg = stats.packages[index];
    return pkg.version ? `${pkg.name}@${pkg.version}` : pkg.name;
  }

  // The treemap's tree: outputs → packages (app code as one) → modules, plus each chunk's
  // unattributed bytes. Values are bytes in the chosen size mode.
  function buildTree() {
    const outputs = stats.outputs.map((output) => {
      const ratio = compressedRatio(output);
      const groups = new Map();
      for (const share of output.modules) {
        const module = stats.modules[share.module];
        const key = module ? module.package ?? -1 : -1;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push({ label: module ? module.id : "?", value: share.bytes * ratio, module: share.module });
      }
      const children = [];
      for (const [key, modules] of groups) {
        const label = packageLabel(key === -1 ? null : key);
        children.push({ label, value: modules.reduce((s, m) => s + m.value, 0), children: modules, pkg: label });
      }
      if (output.unattributed > 0 && output.modules.length > 0) {
        children.push({ label: UNATTRIBUTED, value: output.unattributed * ratio, unattributed: true });
      }
      const value = output.bytes * ratio;
      return { label: output.file, value, output, children: output.modules.length ? children : null };
    });
    return { label: "outputs", value: outputs.reduce((s, o) => s + o.value, 0), children: outputs };
  }

  // --- treemap ------------------------------------------------------------------------------

  // Squarified layout (Bruls, Huizing, van Wijk): rows along the shorter side, each row
  // grown while it keeps the worst aspect ratio from getting worse.
  function squarify(items, x, y, w, h, place) {
    const total = items.reduce((s, item) => s + item.value, 0);
    if (total <= 0 || w <= 0 || h <= 0) return;
    const scale = (w * h) / total;
    let i = 0;
    while (i < items.length) {
      const side = Math.min(w, h);
      let rowArea = 0, rowMin = Infinity, rowMax = 0, best = Infinity, j = i;
      while (j < items.length) {
        const area = items[j].value * scale;
        const sum = rowArea + area;
        const min = Math.min(rowMin, area), max = Math.max(rowMax, area);
        const worst = Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
        if (j > i && worst > best) break;
        rowArea = sum; rowMin = min; rowMax = max; best = worst; j++;
      }
      const thickness = rowArea / side;
      let offset = 0;
      for (let k = i; k < j; k++) {
        const length = (items[k].value * scale) / thickness;
        if (w >= h) place(items[k], x, y + offset, thickness, length);
        else place(items[k], x + offset, y, length, thickness);
        offset += length;
      }
      if (w >= h) { x += thickness; w -= thickness; } else { y += thickness; h -= thickness; }
      i = j;
    }
  }

  function layoutTree(tree, width, height) {
    const out = [];
    const visit = (node, x, y, w, h, depth, colorHue) => {
      out.push({ node, x, y, w, h, depth, hue: colorHue });
      if (!node.children || w < 6 || h < 6) return;
      const header = depth > 0 && h > 30 && w > 40 ? 16 : 0;
      const pad = depth > 0 ? 2 : 0;
      const items = node.children.filter((c) => c.value > 0).sort((a, b) => b.value - a.value);
      squarify(items, x + pad, y + pad + header, w - 2 * pad, h - 2 * pad - header, (child, cx, cy, cw, ch) => {
        const childHue = child.pkg ? (child.pkg === APP ? 250 : hue(child.pkg)) : colorHue;
        visit(child, cx, cy, cw, ch, depth + 1, childHue);
      });
    };
    visit(tree, 0, 0, width, height, 0, 210);
    return out;
  }

  // The canvas `id` sized to its box at the screen's pixel ratio, cleared; drawing is in CSS pixels.
  function clearedCanvas(id) {
    const canvas = $(id);
    const box = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.floor(box.width * ratio));
    canvas.height = Math.max(1, Math.floor(box.height * ratio));
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, box.width, box.height);
    return { ctx, box };
  }

  function drawTreemap() {
    const { ctx, box } = clearedCanvas("treemap");
    rects = layoutTree(buildTree(), box.width, box.height);
    const selectedId = selected >= 0 ? selected : null;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "top";
    for (const rect of rects) {
      if (rect.depth === 0) continue;
      const { node } = rect;
      let light = 92 - rect.depth * 12;
      let saturation = rect.depth === 1 ? 10 : 55;
      if (node.unattributed) saturation = 0;
      // Neighbouring modules of one package differ a little, so their borders read as tiles.
      if (node.module != null) light += (node.module % 5) * 3 - 6;
      if (node.module != null && node.module === selectedId) { saturation = 90; light = 45; }
      ctx.fillStyle = `hsl(${rect.hue}, ${saturation}%, ${light}%)`;
      ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
      ctx.strokeStyle = "rgba(0,0,0,0.25)";
      ctx.strokeRect(rect.x + 0.5, rect.y + 0.5, Math.max(0, rect.w - 1), Math.max(0, rect.h - 1));
      if (rect.w > 50 && rect.h > 14) {
        ctx.fillStyle = light < 55 ? "#fff" : "#111";
        const name = node.module != null ? node.label.split("/").pop() : node.label;
        ctx.save();
        ctx.beginPath();
        ctx.rect(rect.x, rect.y, rect.w, rect.h);
        ctx.clip();
        ctx.fillText(`${name} ${formatBytes(node.value)}`, rect.x + 3, rect.y + 2);
        ctx.restore();
      }
    }
  }

  function rectAt(x, y) {
    for (let i = rects.length - 1; i >= 0; i--) {
      const r = rects[i];
      if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) return r;
    }
    return null;
  }

  function describe(rect) {
    const { node } = rect;
    if (node.output) {
      const o = node.output;
      return `${o.file}\n${formatBytes(o.bytes)} · gzip ${formatBytes(o.gzip)} · brotli ${formatBytes(o.brotli)}` +
        (o.modules.length ? `\nunattributed ${formatBytes(o.unattributed)}` : "");
    }
    const parentOutput = rects.find((r) => r.node.output && r.x <= rect.x && r.y <= rect.y &&
      r.x + r.w >= rect.x + rect.w && r.y + r.h >= rect.y + rect.h && r.depth === 1);
    const share = (ratioKey) => {
      const o = parentOutput && parentOutput.node.output;
      if (!o || o[ratioKey] == null || !o.bytes) return "–";
      return formatBytes((node.value / compressedRatio(o)) * (o[ratioKey] / o.bytes));
    };
    const raw = parentOutput ? node.value / compressedRatio(parentOutput.node.output) : node.value;
    return `${node.label}\n${formatBytes(raw)} · gzip ≈${share("gzip")} · brotli ≈${share("brotli")}`;
  }

  function setupTreemap() {
    const canvas = $("treemap");
    const tooltip = $("tooltip");
    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      const rect = rectAt(event.clientX - box.left, event.clientY - box.top);
      if (!rect || rect.depth === 0) { tooltip.style.display = "none"; return; }
      tooltip.textContent = describe(rect);
      tooltip.style.display = "block";
      tooltip.style.left = `${Math.min(event.clientX + 12, window.innerWidth - 300)}px`;
      tooltip.style.top = `${event.clientY + 12}px`;
    });
    canvas.addEventListener("mouseleave", () => { tooltip.style.display = "none"; });
    canvas.addEventListener("click", (event) => {
      const box = canvas.getBoundingClientRect();
      const rect = rectAt(event.clientX - box.left, event.clientY - box.top);
      if (rect && rect.node.module != null) select(rect.node.module);
    });
    for (const input of document.querySelectorAll("input[name=size]")) {
      input.addEventListener("change", () => { sizeMode = input.value; drawTreemap(); });
    }
    let pending = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(drawTreemap);
    });
  }

  // --- module list (virtualised) -----------------------------------------------------------

  function applySearch() {
    if (!stats) return;
    const query = $("search").value.trim().toLowerCase();
    const order = stats.modules.map((_, at) => at);
    filtered = query
      ? order.filter((at) => stats.modules[at].id.toLowerCase().includes(query))
      : order;
    filtered.sort((a, b) => stats.modules[b].outputBytes - stats.modules[a].outputBytes ||
      (stats.modules[a].id < stats.modules[b].id ? -1 : 1));
    $("module-count").textContent = `${filtered.length} of ${stats.modules.length} modules`;
    $("spacer").style.height = `${filtered.length * ROW_HEIGHT}px`;
    renderRows();
  }

  const rowPool = [];
  function renderRows() {
    if (!stats) return;
    const list = $("module-list");
    const first = Math.floor(list.scrollTop / ROW_HEIGHT);
    const count = Math.ceil(list.clientHeight / ROW_HEIGHT) + 2;
    while (rowPool.length < count) {
      const row = el("div", { class: "row" }, el("span", { class: "id" }), el("span", { class: "size" }));
      row.addEventListener("click", () => select(Number(row.dataset.module)));
      $("spacer").append(row);
      rowPool.push(row);
    }
    rowPool.forEach((row, i) => {
      const at = filtered[first + i];
      if (at === undefined) { row.style.display = "none"; return; }
      const module = stats.modules[at];
      row.style.display = "";
      row.style.top = `${(first + i) * ROW_HEIGHT}px`;
      row.dataset.module = String(at);
      row.classList.toggle("selected", at === selected);
      row.title = module.id;
      // `direction: rtl` keeps a long path's file name in view; the mark keeps "?query" in order.
      row.firstChild.textContent = `\u200e${module.id}\u200e`;
      row.lastChild.textContent = formatBytes(module.outputBytes);
    });
  }

  // --- details ------------------------------------------------------------------------------

  function moduleLink(at) {
    return el("a", { onclick: () => select(at), title: stats.modules[at].id }, stats.modules[at].id);
  }

  function select(at) {
    selected = at;
    renderDetails();
    renderRows();
    drawTreemap();
  }

  function renderDetails() {
    const box = $("details");
    box.replaceChildren();
    if (selected < 0 || !stats.modules[selected]) {
      box.append(el("div", { class: "empty" }, "Select a module in the list or the treemap."));
      drawNeighbours();
      return;
    }
    const module = stats.modules[selected];
    box.append(
      el("strong", null, module.id),
      el("div", null, `package: ${packageLabel(module.package)} · source ${formatBytes(module.sourceBytes)} · in output ${formatBytes(module.outputBytes)}`),
    );
    const chain = chainOf(selected);
    const chainBox = el("div", { class: "chain" });
    if (module.depth == null && !module.entry) {
      chainBox.append(el("div", null, module.mapOnly
        ? "only in a source map (no module of the graph has this id)"
        : "no entry imports this module"));
    } else {
      for (const at of chain) chainBox.append(el("div", null, moduleLink(at)));
    }
    box.append(el("div", null, el("em", null, "Why is this here (shortest import chain):")), chainBox);
    const links = (title, list) => {
      const div = el("div", { class: "links" }, `${title} (${list.length}): `);
      list.slice(0, 20).forEach((at, i) => { if (i) div.append(", "); div.append(moduleLink(at)); });
      if (list.length > 20) div.append(` … ${list.length - 20} more`);
      return div;
    };
    box.append(links("imported by", importers[selected] || []), links("imports", module.imports.concat(module.dynamicImports)));
    drawNeighbours();
  }

  // Importers on the left, imports on the right, the selected module in the middle.
  function drawNeighbours() {
    const { ctx, box } = clearedCanvas("neighbours");
    if (selected < 0 || !stats.modules[selected]) return;
    const module = stats.modules[selected];
    const left = (importers[selected] || []).slice(0, 12);
    const right = module.imports.concat(module.dynamicImports).slice(0, 12);
    const name = (at) => stats.modules[at].id.split("/").pop();
    const centre = { x: box.width / 2, y: box.height / 2 };
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    const column = (list, x, align) => list.map((at, i) => {
      const y = ((i + 1) * box.height) / (list.length + 1);
      ctx.strokeStyle = "rgba(120,120,140,0.6)";
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(centre.x, centre.y);
      ctx.stroke();
      ctx.fillStyle = getComputedStyle(document.body).color;
      ctx.textAlign = align;
      ctx.fillText(name(at), align === "left" ? x + 4 : x - 4, y);
      return y;
    });
    column(left, box.width * 0.3, "right");
    column(right, box.width * 0.7, "left");
    ctx.fillStyle = "hsl(250, 60%, 55%)";
    ctx.beginPath();
    ctx.arc(centre.x, centre.y, 6, 0, Math.PI * 2);
    ctx.fill();
    ctx.textAlign = "center";
    ctx.fillStyle = getComputedStyle(document.body).color;
    ctx.fillText(name(selected), centre.x, centre.y - 14);
  }

  // --- duplicates, outputs, comparison -------------------------------------------------------

  function renderDuplicates() {
    const box = $("duplicates");
    box.replaceChildren();
    if (!stats.duplicates.length) {
      box.append(el("div", { class: "empty" }, "No package is bundled twice."));
      return;
    }
    for (const duplicate of stats.duplicates) {
      const item = el("div", { class: "duplicate" }, el("strong", null, duplicate.name));
      for (const instance of duplicate.instances) {
        const pkg = stats.packages[instance.package];
        item.append(el("div", null, `${pkg.dir}${pkg.version ? ` (${pkg.version})` : ""} · ${formatBytes(pkg.outputBytes)}`));
        const chain = el("div", { class: "chain" });
        instance.chain.forEach((at, i) => { if (i) chain.append(" → "); chain.append(moduleLink(at)); });
        item.append(chain);
      }
      box.append(item);
    }
  }

  function renderOutputs() {
    const body = $("outputs-body");
    body.replaceChildren();
    const sorted = stats.outputs.slice().sort((a, b) => b.bytes - a.bytes);
    for (const o of sorted) {
      body.append(el("tr", null,
        el("td", null, o.file),
        el("td", { class: "num" }, formatBytes(o.bytes)),
        el("td", { class: "num" }, formatBytes(o.gzip)),
        el("td", { class: "num" }, formatBytes(o.brotli)),
        el("td", { class: "num" }, o.modules.length ? formatBytes(o.unattributed) : "–")));
    }
  }

  function renderComparison() {
    const box = $("comparison");
    if (!comparison) { box.parentElement.style.display = "none"; return; }
    box.parentElement.style.display = "";
    box.replaceChildren(el("div", null,
      `total ${formatBytes(comparison.oldTotal)} → ${formatBytes(comparison.newTotal)} (${formatBytes(comparison.newTotal - comparison.oldTotal)})`));
    for (const [title, list] of [["Outputs", comparison.outputs], ["Packages", comparison.packages]]) {
      box.append(el("h3", null, title));
      if (!list.length) { box.append(el("div", { class: "empty" }, "no change")); continue; }
      const table = el("table", null, el("tr", null, el("th", null, "name"), el("th", null, "change"),
        el("th", { class: "num" }, "before"), el("th", { class: "num" }, "after"), el("th", { class: "num" }, "delta")));
      for (const change of list) {
        const delta = change.newBytes - change.oldBytes;
        table.append(el("tr", { class: change.change },
          el("td", null, change.name), el("td", null, change.change),
          el("td", { class: "num" }, formatBytes(change.oldBytes)),
          el("td", { class: "num" }, formatBytes(change.newBytes)),
          el("td", { class: "num" }, `${delta >= 0 ? "+" : ""}${formatBytes(delta)}`)));
      }
      box.append(table);
    }
  }

  function renderSummary() {
    const total = stats.outputs.reduce((s, o) => s + o.bytes, 0);
    const gzip = stats.outputs.reduce((s, o) => s + (o.gzip ?? o.bytes), 0);
    const brotli = stats.outputs.reduce((s, o) => s + (o.brotli ?? o.bytes), 0);
    $("summary").textContent = `${stats.outputs.length} files · ${formatBytes(total)} · gzip ${formatBytes(gzip)} · brotli ${formatBytes(brotli)} · ${stats.modules.length} modules · ${stats.tool}`;
  }

  function renderAll() {
    renderSummary();
    applySearch();
    renderDetails();
    renderDuplicates();
    renderOutputs();
    renderComparison();
    drawTreemap();
  }

  // --- start --------------------------------------------------------------------------------

  function start() {
    setupTreemap();
    $("search").addEventListener("input", applySearch);
    $("module-list").addEventListener("scroll", renderRows);
    const live = document.documentElement.dataset.live;
    if (live) {
      let revision = null;
      const poll = async () => {
        try {
          const separator = live.includes("?") ? "&" : "?";
          const url = `${live}${separator}since=${encodeURIComponent(revision ?? "")}`;
          const response = await fetch(url, { cache: "no-store" });
          if (response.ok) {
            const data = await response.json();
            // Without `stats` the server says nothing changed since `revision`.
            if (data.stats && data.revision !== revision) {
              revision = data.revision;
              setStats(data.stats);
              renderAll();
              $("live").textContent = `live · updated ${new Date().toLocaleTimeString()}`;
              document.documentElement.dataset.revision = String(revision);
              document.documentElement.dataset.ready = String(performance.now());
            }
          }
        } catch (error) {
          $("live").textContent = "dev server unreachable";
        }
        setTimeout(poll, 1000);
      };
      poll();
      return;
    }
    setStats(readEmbedded("nexxo-stats"));
    comparison = readEmbedded("nexxo-compare");
    renderAll();
    // For tests and measurements: when the report became interactive.
    document.documentElement.dataset.ready = String(performance.now());
  }

  start();
})();
