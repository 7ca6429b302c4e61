// The story page's script: draws the events the page holds (dashboard/render/story_page.py computed
// everything about them), filters them by theme and words, and steps through the story.
// Text from the data is only ever set as textContent or as an attribute, never parsed as markup;
// plotly's hover labels read a little HTML, so their text is escaped first.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("story-data").textContent);
  const ev = data.events;
  const held = ev.title.length;
  const chart = document.getElementById("chart");
  const searchBox = document.getElementById("search");
  const themeBox = document.getElementById("themes");
  const stepBox = document.getElementById("step");
  const progress = document.getElementById("progress");
  const previous = document.getElementById("previous");
  const next = document.getElementById("next");
  const motion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const cover = data.cover;
  const MS_YEAR = 365.2425 * 86400000;

  const lanesOf = Array.from({ length: held }, () => []);
  data.lanes.forEach((lane, li) => lane.rows.forEach((i) => lanesOf[i].push(li)));
  const checked = new Set();
  data.lanes.forEach((lane, li) => { if (data.checked.includes(lane.name)) checked.add(li); });
  const TITLE_SCOPE = "title:";
  let words = [];      // {inTitle, word} (searchWords)
  let hay = null;
  let titleHay = null;
  let story = [];      // the told events that pass the filters, in story order
  let step = 0;        // 0-based, over the cover (if any) then the story
  let range = data.extent.slice();

  const text = (name, i) => (ev[name] && ev[name][i]) || "";
  const count = () => story.length + (cover ? 1 : 0);
  const escapePlotly = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  // plotly sets a hover box beside its point, on the side with more room: a line wider than half the
  // chart runs off a phone's screen, so a title is broken into lines at most that wide (as the app's
  // chart does: render.figure.hover_px and wrapped), at spaces and inside a word too long for a line.
  const HOVER_FONT = 13;
  const hoverPx = () => Math.max(140, Math.min(420, chart.clientWidth / 2 - 40));
  let measure = null;
  function boldPx(s) {
    if (measure === null) {
      measure = document.createElement("canvas").getContext("2d");
      measure.font = `bold ${HOVER_FONT}px ${getComputedStyle(document.body).fontFamily}`;
    }
    return measure.measureText(s).width;
  }
  function wrapped(text, px) {
    const lines = [];
    let line = "";
    for (const word of String(text).split(/\s+/).filter(Boolean)) {
      const joined = line ? `${line} ${word}` : word;
      if (boldPx(joined) <= px) { line = joined; continue; }
      if (line) lines.push(line);
      line = "";
      for (const ch of Array.from(word)) {
        if (line && boldPx(line + ch) > px) { lines.push(line); line = ""; }
        line += ch;
      }
    }
    lines.push(line);
    return lines.map(escapePlotly).join("<br>");
  }

  function element(tag, attributes, content) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (content) node.textContent = content;
    return node;
  }

  function haystack(i) {
    if (hay === null) {
      hay = [];
      for (let k = 0; k < held; k++) {
        hay.push([text("title", k), text("description", k), text("actors", k), text("location", k)].join("\u001f").toLowerCase());
      }
    }
    return hay[i];
  }

  function titleHaystack(i) {
    if (titleHay === null) {
      titleHay = [];
      for (let k = 0; k < held; k++) titleHay.push(text("title", k).toLowerCase());
    }
    return titleHay[i];
  }

  // The words of a search as the app reads them (core.query.search_terms): "title:word" is looked
  // for in the title alone, any other word in the title, description, actors and location.
  function searchWords(typed) {
    const out = [];
    for (const token of typed.toLowerCase().split(/\s+/)) {
      const inTitle = token.startsWith(TITLE_SCOPE);
      const word = inTitle ? token.slice(TITLE_SCOPE.length) : token;
      if (word) out.push({ inTitle, word });
    }
    return out;
  }

  function matches(i) {
    return words.every((w) => (w.inTitle ? titleHaystack(i) : haystack(i)).includes(w.word));
  }

  function passes(i) {
    return lanesOf[i].some((li) => checked.has(li)) && matches(i);
  }

  // ---- the chart -------------------------------------------------------------------------------
  function yearLabel(year) {
    const template = year < 0 ? data.years.bce : data.years.ce;
    return template.replace("{y}", String(Math.abs(year)));
  }

  function ageLabel(years) {
    for (const [unit, size] of [["Ga", 1e9], ["Ma", 1e6], ["ka", 1e3]]) {
      if (years >= size * 0.9995) return `${Number((years / size).toPrecision(3))} ${unit}`;
    }
    return `${Number(years.toPrecision(3))} years`;
  }

  function yearStart(historian) {
    const astronomical = historian < 0 ? historian + 1 : historian;
    if (Math.abs(astronomical) > 270000) return (astronomical - 1970) * MS_YEAR;
    const day = new Date(0);
    day.setUTCFullYear(astronomical, 0, 1);
    return day.getTime();
  }

  // Year ticks written as historians do ("490 BCE"), where plotly would write "-0489" or nothing.
  function yearTicks(x0, x1) {
    const y0 = 1970 + x0 / MS_YEAR, y1 = 1970 + x1 / MS_YEAR;
    const raw = Math.max((y1 - y0) / 8, 1);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const size = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const values = [], labels = [];
    if (size >= 10000) {
      for (let k = Math.ceil((1950 - y1) / size); k <= Math.floor((1950 - y0) / size); k++) {
        if (k < 0) continue;
        values.push((1950 - k * size - 1970) * MS_YEAR);
        labels.push(k ? ageLabel(k * size) : "1950");
      }
    } else {
      for (let k = Math.ceil(y0 / size); k <= Math.floor(y1 / size); k++) {
        const year = k * size;
        if (year === 0) continue;
        const at = yearStart(year);
        if (at >= x0 && at <= x1) { values.push(at); labels.push(yearLabel(year)); }
      }
    }
    return { tickmode: "array", tickvals: values, ticktext: labels };
  }

  function axis(lo, hi) {
    const base = { type: data.axis.type, range: [lo, hi], showgrid: true, gridcolor: "#e6e6e6", zeroline: false,
      showline: true, linecolor: "#888", ticks: "outside", automargin: true };
    if (data.axis.ticks === "years") return Object.assign(base, yearTicks(lo, hi));
    if (data.axis.tickformatstops.length) base.tickformatstops = data.axis.tickformatstops;
    return base;
  }

  const laneName = (lane) => (lane.topic ? `${lane.topic} › ${lane.label}` : lane.label);

  function lanesShown() {
    return data.lanes.map((lane, li) => li).filter((li) => checked.has(li));
  }

  function traces() {
    const out = [];
    const px = hoverPx();
    const lanes = lanesShown();
    lanes.forEach((li, y) => {
      const lane = data.lanes[li];
      const rows = lane.rows.filter(matches);
      const points = rows.filter((i) => !ev.range[i]);
      const periods = rows.filter((i) => ev.range[i]);
      const hover = (i) => `<b>${wrapped(ev.title[i], px)}</b><br>${escapePlotly(ev.when[i])}`;
      if (periods.length) {
        out.push({ type: "bar", orientation: "h", name: lane.label, legendgroup: lane.name, showlegend: false,
          base: periods.map((i) => ev.start[i]), x: periods.map((i) => Math.max(ev.last[i] - ev.start[i], 1)),
          y: periods.map(() => y), width: 0.22, customdata: periods, hovertext: periods.map(hover),
          hoverinfo: "text", marker: { color: lane.color, opacity: 0.55, line: { color: lane.color, width: 1 } } });
      }
      out.push({ type: "scatter", mode: "markers", name: lane.label, legendgroup: lane.name, showlegend: false,
        x: points.map((i) => ev.start[i]), y: points.map(() => y), customdata: points,
        hovertext: points.map(hover), hoverinfo: "text",
        marker: { color: lane.color, symbol: lane.symbol, size: points.map((i) => ev.size[i]),
          line: { color: "white", width: 1 }, opacity: 0.92 } });
    });
    out.push(highlightTrace());
    return out;
  }

  function current() {
    const k = step - (cover ? 1 : 0);
    return k >= 0 && k < story.length ? story[k] : null;
  }

  function highlightTrace() {
    const i = current();
    const lanes = lanesShown();
    const at = i === null ? [] : lanesOf[i].filter((li) => checked.has(li)).map((li) => lanes.indexOf(li));
    return { type: "scatter", mode: "markers", name: "highlight", showlegend: false, hoverinfo: "skip",
      x: at.map(() => ev.start[i]), y: at,
      marker: { size: 22, color: "rgba(0,0,0,0)", line: { color: "#111", width: 3 } } };
  }

  function highlightShapes() {
    const i = current();
    if (i === null) return [];
    return [{ type: "rect", xref: "x", yref: "paper", x0: ev.start[i], x1: Math.max(ev.last[i], ev.start[i]),
      y0: 0, y1: 1, fillcolor: "rgba(255, 196, 0, 0.22)", line: { color: "rgba(191, 135, 0, 0.9)", width: 1 },
      layer: "below" }];
  }

  // Eras: light bands behind the lanes, each named above the plot where it begins.
  const eras = data.eras.title.map((title, k) => ({ title, start: data.eras.start[k], last: data.eras.last[k] }))
    .sort((a, b) => a.start - b.start);
  const eraShapes = eras.map((era, k) => ({ type: "rect", xref: "x", yref: "paper", x0: era.start, x1: era.last,
    y0: 0, y1: 1, fillcolor: k % 2 ? "#8c8c8c" : "#5b7fa6", opacity: 0.09, line: { width: 0 }, layer: "below" }));
  const eraNames = eras.map((era) => ({ xref: "x", yref: "paper", x: era.start, y: 1, xanchor: "left",
    yanchor: "bottom", text: escapePlotly(era.title), showarrow: false, font: { size: 10, color: "#555" } }));

  function layout() {
    const lanes = lanesShown();
    const narrow = chart.clientWidth < 600;
    return {
      height: Math.max(narrow ? 240 : 300, (narrow ? 40 : 64) * Math.max(lanes.length, 2) + 90),
      margin: { l: narrow ? 6 : 10, r: 14, t: eras.length ? 24 : 10, b: 40 },
      font: { family: getComputedStyle(document.body).fontFamily, size: 12, color: "#222" },
      paper_bgcolor: "white", plot_bgcolor: "white", showlegend: false, hovermode: "closest", dragmode: "pan",
      barmode: "overlay", xaxis: axis(range[0], range[1]),
      yaxis: { tickvals: lanes.map((li, y) => y), ticktext: lanes.map((li) => escapePlotly(laneName(data.lanes[li]))),
        range: [Math.max(lanes.length, 1) - 0.5, -0.5], fixedrange: true, showgrid: false, zeroline: false,
        automargin: true, tickfont: { size: 13 } },
      shapes: eraShapes.concat(highlightShapes()),
      annotations: eraNames,
    };
  }

  const config = { displaylogo: false, responsive: true, scrollZoom: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"] };

  function draw() {
    return Plotly.react(chart, traces(), layout(), config);
  }

  function moveTo(lo, hi) {
    range = [lo, hi];
    if (motion.matches) return Plotly.relayout(chart, { xaxis: axis(lo, hi) });
    return Plotly.animate(chart, { layout: { xaxis: axis(lo, hi) } },
      { transition: { duration: 350, easing: "cubic-in-out" }, frame: { duration: 350, redraw: false } });
  }

  // ---- the story -------------------------------------------------------------------------------
  function refilter(keep) {
    const before = keep ? current() : null;
    story = [];
    for (let i = 0; i < Math.min(data.told, held); i++) if (passes(i)) story.push(i);
    const found = before === null ? -1 : story.indexOf(before);
    step = found >= 0 ? found + (cover ? 1 : 0) : 0;
  }

  function media(item, title) {
    const kind = item.media || "";
    if (!kind) return null;
    const caption = item.media_caption || "", credit = item.media_credit || "";
    const figure = element("figure");
    if (kind === "image") {
      figure.append(element("img", { src: item.media_src, alt: caption || title, loading: "lazy",
        referrerpolicy: "no-referrer", decoding: "async" }));
    } else if (kind === "youtube" || kind === "vimeo") {
      figure.append(element("iframe", { src: item.media_src, title: data.strings.video.replace("{title}", title),
        loading: "lazy", referrerpolicy: "strict-origin-when-cross-origin",
        sandbox: "allow-scripts allow-same-origin allow-presentation allow-popups",
        allow: "fullscreen; picture-in-picture; encrypted-media" }));
    } else {
      figure.append(element("a", { href: item.media_href, rel: "noopener noreferrer", target: "_blank" },
        caption || item.media_href));
    }
    const written = [kind === "link" ? "" : caption, credit].filter(Boolean).join(" · ");
    if (written) figure.append(element("figcaption", {}, written));
    return figure;
  }

  function itemAt(i) {
    const item = {};
    for (const name of ["title", "when", "description", "actors", "location", "source", "media", "media_src",
      "media_href", "media_caption", "media_credit"]) item[name] = text(name, i);
    return item;
  }

  function card() {
    const total = count();
    progress.textContent = total ? `${step + 1} / ${total}` : "0 / 0";
    previous.disabled = step <= 0;
    next.disabled = step >= total - 1;
    const i = current();
    const item = i !== null ? itemAt(i) : (cover && step === 0 ? cover : null);
    const parts = [];
    if (item === null) {
      parts.push(element("p", {}, data.strings.empty));
    } else {
      parts.push(element("h2", {}, item.title || ""));
      if (item.when) parts.push(element("p", { class: "when" }, item.when));
      const shown = media(item, item.title || "");
      if (shown) parts.push(shown);
      if (item.description) parts.push(element("p", { class: "description" }, item.description));
      const place = [(item.actors || "").split(/\s*;\s*/).join("; "), item.location].filter(Boolean).join(" · ");
      if (place) parts.push(element("p", { class: "place" }, place));
      if (item.source) {
        const label = data.strings.source;  // "Source:", "出典：" (a full-width colon needs no space)
        const line = element("p", { class: "source" }, label.endsWith(":") ? `${label} ` : label);
        line.append(element("a", { href: item.source, rel: "noopener noreferrer", target: "_blank" }, item.source));
        parts.push(line);
      }
    }
    stepBox.replaceChildren(...parts);
  }

  function show(k, options) {
    const total = count();
    step = Math.min(Math.max(k, 0), Math.max(total - 1, 0));
    card();
    if (total) history.replaceState(null, "", `#story=${step + 1}`);
    const i = current();
    const lo = i === null ? data.extent[0] : ev.lo[i];
    const hi = i === null ? data.extent[1] : ev.hi[i];
    if (options && options.redraw) {
      range = [lo, hi];
      return draw();
    }
    return Plotly.update(chart, { x: [highlightTrace().x], y: [highlightTrace().y] },
      { shapes: eraShapes.concat(highlightShapes()) }, [chart.data.length - 1]).then(() => moveTo(lo, hi));
  }

  function stepFromHash() {
    const found = /^#story=(\d{1,9})$/.exec(location.hash);
    return found ? Number(found[1]) : null;
  }

  // ---- controls --------------------------------------------------------------------------------
  data.lanes.forEach((lane, li) => {
    if (lane.topic && (li === 0 || data.lanes[li - 1].topic !== lane.topic)) {
      themeBox.append(element("span", { class: "topic" }, lane.topic));  // a file's lanes under its name
    }
    const box = element("input", { type: "checkbox", id: `theme-${li}`, value: lane.name });
    box.checked = checked.has(li);
    box.addEventListener("change", () => {
      if (box.checked) checked.add(li); else checked.delete(li);
      refilter(true);
      show(step, { redraw: true });
    });
    const label = element("label", { class: "theme", for: `theme-${li}` });
    const swatch = element("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = lane.color;
    label.append(box, swatch, element("span", {}, lane.label));
    themeBox.append(label);
  });

  let typing = null;
  searchBox.value = data.search || "";
  searchBox.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      words = searchWords(searchBox.value);
      refilter(true);
      show(step, { redraw: true });
    }, 150);
  });
  previous.addEventListener("click", () => show(step - 1));
  next.addEventListener("click", () => show(step + 1));
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest && target.closest("input[type=search], input[type=text], textarea, select, [contenteditable]")) return;
    if (event.key === "ArrowRight") { event.preventDefault(); show(step + 1); }
    if (event.key === "ArrowLeft") { event.preventDefault(); show(step - 1); }
  });
  // A new width (a phone turned, a window resized) may want other hover lines and another layout.
  let drawnFor = [hoverPx(), chart.clientWidth < 600];
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      const now = [hoverPx(), chart.clientWidth < 600];
      if (now[0] === drawnFor[0] && now[1] === drawnFor[1]) return;
      drawnFor = now;
      const full = chart._fullLayout && chart._fullLayout.xaxis;
      if (full) range = full.range.map((v) => full.r2l(v));  // where the reader has panned to
      draw();
    }, 150);
  });
  window.addEventListener("hashchange", () => {
    const asked = stepFromHash();
    if (asked !== null && asked - 1 !== step) show(asked - 1);
  });

  words = searchWords(data.search || "");
  refilter(false);
  const asked = stepFromHash();
  show((asked !== null ? asked : data.step) - 1, { redraw: true }).then(() => {
    chart.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (!point || typeof point.customdata !== "number") return;
      const k = story.indexOf(point.customdata);
      if (k >= 0) show(k + (cover ? 1 : 0));
    });
    chart.on("plotly_relayout", (change) => {
      const moved = ["xaxis.range[0]", "xaxis.range", "xaxis.autorange"].some((key) => key in change);
      if (data.axis.ticks !== "years" || !moved) return;
      const full = chart._fullLayout.xaxis;
      const [lo, hi] = full.range.map((v) => full.r2l(v));
      range = [lo, hi];
      Plotly.relayout(chart, { "xaxis.tickvals": yearTicks(lo, hi).tickvals, "xaxis.ticktext": yearTicks(lo, hi).ticktext });
    });
  });
})();
