// Plain SVG charts: no library, nothing fetched from elsewhere.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Horizontal bars: items = [{label, value}].
  function bars(container, items) {
    const row = 26, labelW = 130, width = 420, valueW = 50;
    const max = Math.max(1, ...items.map((i) => i.value));
    const svg = el("svg", { viewBox: `0 0 ${width} ${row * items.length + 4}`, role: "img" });
    items.forEach((it, n) => {
      const y = n * row + 2;
      const w = ((width - labelW - valueW) * it.value) / max;
      svg.appendChild(el("text", { x: labelW - 6, y: y + 17, "text-anchor": "end", class: "label" }, it.label));
      svg.appendChild(el("rect", { x: labelW, y: y + 3, width: Math.max(w, it.value ? 2 : 0), height: row - 8, class: "barfill" }));
      svg.appendChild(el("text", { x: labelW + w + 6, y: y + 17, class: "value" }, String(it.value)));
    });
    container.replaceChildren(svg);
  }

  // Hourly columns for two series side by side: hours = [{hour (ms), a, b}].
  function columns(container, hours, labelA, labelB, formatHour) {
    const width = 960, height = 220, left = 40, bottom = 30, top = 24;
    const max = Math.max(1, ...hours.map((h) => Math.max(h.a, h.b)));
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
    const plotH = height - bottom - top;
    const slot = (width - left - 10) / Math.max(1, hours.length);
    svg.appendChild(el("line", { x1: left, y1: height - bottom, x2: width - 10, y2: height - bottom, class: "axis" }));
    svg.appendChild(el("text", { x: left - 6, y: top + 4, "text-anchor": "end", class: "label" }, String(max)));
    svg.appendChild(el("text", { x: left - 6, y: height - bottom, "text-anchor": "end", class: "label" }, "0"));
    hours.forEach((h, i) => {
      const x = left + i * slot;
      const bw = Math.max(1, slot / 2 - 1);
      const ha = (plotH * h.a) / max, hb = (plotH * h.b) / max;
      const a = el("rect", { x, y: height - bottom - ha, width: bw, height: ha, class: "series-a" });
      a.appendChild(el("title", {}, `${formatHour(h.hour)} ${labelA} ${h.a}`));
      const b = el("rect", { x: x + bw, y: height - bottom - hb, width: bw, height: hb, class: "series-b" });
      b.appendChild(el("title", {}, `${formatHour(h.hour)} ${labelB} ${h.b}`));
      svg.append(a, b);
      if (i % 6 === 0)
        svg.appendChild(el("text", { x, y: height - bottom + 16, class: "label" }, formatHour(h.hour)));
    });
    svg.appendChild(el("rect", { x: width - 220, y: 4, width: 12, height: 12, class: "series-a legend" }));
    svg.appendChild(el("text", { x: width - 204, y: 15, class: "label" }, labelA));
    svg.appendChild(el("rect", { x: width - 110, y: 4, width: 12, height: 12, class: "series-b legend" }));
    svg.appendChild(el("text", { x: width - 94, y: 15, class: "label" }, labelB));
    container.replaceChildren(svg);
  }

  window.Charts = { bars, columns };
})();
