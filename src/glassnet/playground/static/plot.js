// Drawing: the network as an SVG graph, the loss curves as SVG, the boundary on a canvas.
// The geometry (networkLayout, curvePoints) is pure and tested; the rest touches the DOM.

import {
  boundaryColour,
  classColour,
  css,
  formatNumber,
  maxAbsWeight,
  valueScale,
  weightStyle,
} from "./state.js";

const SVG = "http://www.w3.org/2000/svg";

/**
 * Where each unit sits: `positions[l][i] = {x, y}` for layer l (0 = the inputs) and unit i
 * (0-based), layers spread evenly across the width, each layer's units centred vertically
 * with `gap` pixels between them.
 */
export function networkLayout(sizes, width, height, margin = 30, gap = 26) {
  const columns = sizes.length;
  return sizes.map((n, l) => {
    const x = columns === 1 ? width / 2 : margin + ((width - 2 * margin) * l) / (columns - 1);
    const step = n > 1 ? Math.min(gap, (height - 2 * margin) / (n - 1)) : 0;
    const top = height / 2 - (step * (n - 1)) / 2;
    return Array.from({ length: n }, (_, i) => ({ x, y: top + step * i }));
  });
}

/**
 * The "x,y x,y …" points of a loss curve in a `width` × `height` box: epoch on x from the
 * first to the last epoch, loss on y from 0 (bottom) to `top` (the top edge).
 */
export function curvePoints(epochs, losses, width, height, top) {
  const first = epochs[0];
  const last = epochs[epochs.length - 1];
  const span = last > first ? last - first : 1;
  const points = [];
  for (let k = 0; k < epochs.length; k += 1) {
    const loss = losses[k];
    if (!Number.isFinite(loss)) continue;
    const x = ((epochs[k] - first) / span) * width;
    const y = height - (Math.min(loss, top) / top) * height;
    points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  return points.join(" ");
}

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function titled(node, text) {
  el("title", {}, node).textContent = text;
  return node;
}

/**
 * The network graph. `network` is the state's {sizes, activations, weights, biases};
 * `findings` the diagnose findings (units marked with a ring and the finding in their
 * title); `selected` = {layer, unit} to highlight; `onLayer(l)` and `onUnit(l, u)` (1-based)
 * are called on clicks.
 */
export function drawNetwork(svg, network, findings, selected, onLayer, onUnit) {
  const width = 560;
  const height = Math.max(260, 60 + 26 * Math.max(...network.sizes));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const positions = networkLayout(network.sizes, width, height, 48);
  const maxAbs = maxAbsWeight(network.weights);
  const flagged = new Map();
  for (const finding of findings || []) {
    for (const unit of finding.units || []) {
      const key = `${finding.layer}-${unit}`;
      flagged.set(key, [...(flagged.get(key) || []), finding.text || finding.kind]);
    }
  }
  const edges = el("g", { class: "edges" }, svg);
  const last = network.sizes.length - 1;
  for (let l = 1; l <= last; l += 1) {
    const W = network.weights[l - 1] || [];
    const group = el("g", { "data-testid": `layer-${l}`, class: "layer" }, svg);
    const column = positions[l];
    const top = column[0].y - 18;
    const bottom = column[column.length - 1].y + 18;
    const box = el(
      "rect",
      { x: column[0].x - 18, y: top, width: 36, height: bottom - top, rx: 8, class: "layer-box" },
      group,
    );
    if (selected && selected.layer === l) box.classList.add("selected");
    const activation = (network.activations || [])[l - 1] || "";
    const label = l === last ? `output (${activation})` : `${activation}`;
    el("text", { x: column[0].x, y: top - 6, class: "layer-label" }, group).textContent = label;
    titled(box, `layer ${l}: W^[${l}] is ${column.length} × ${positions[l - 1].length}; click for its trace`);
    group.addEventListener("click", () => onLayer(l));
    for (let i = 0; i < column.length; i += 1) {
      for (let j = 0; j < positions[l - 1].length; j += 1) {
        const w = (W[i] || [])[j] ?? 0;
        const style = weightStyle(w, maxAbs);
        const line = el(
          "line",
          {
            x1: positions[l - 1][j].x,
            y1: positions[l - 1][j].y,
            x2: column[i].x,
            y2: column[i].y,
            stroke: style.colour,
            "stroke-width": style.width.toFixed(2),
            "stroke-opacity": style.opacity.toFixed(2),
            class: "edge",
          },
          edges,
        );
        titled(line, `W^[${l}]_${i + 1},${j + 1} = ${formatNumber(w)}`);
      }
    }
    for (let i = 0; i < column.length; i += 1) {
      const key = `${l}-${i + 1}`;
      const b = ((network.biases || [])[l - 1] || [])[i];
      const unit = el(
        "circle",
        { cx: column[i].x, cy: column[i].y, r: 9, "data-testid": `unit-${key}`, class: "unit" },
        group,
      );
      const notes = flagged.get(key) || [];
      if (notes.length) unit.classList.add("flagged");
      if (selected && selected.layer === l && selected.unit === i + 1) unit.classList.add("selected");
      titled(unit, [`unit ${i + 1} of layer ${l}: b = ${formatNumber(b)}`, ...notes].join("\n"));
      unit.addEventListener("click", (event) => {
        event.stopPropagation();
        onUnit(l, i + 1);
      });
    }
  }
  positions[0].forEach((p, j) => {
    const input = el("circle", { cx: p.x, cy: p.y, r: 9, class: "input", "data-testid": `input-${j + 1}` }, svg);
    titled(input, `input x${j + 1}`);
  });
  el("text", { x: positions[0][0].x, y: positions[0][0].y - 24, class: "layer-label" }, svg).textContent =
    "inputs";
}

/** Train and test loss against the epoch, sharing one y axis from 0. */
export function drawLossCurves(svg, history) {
  const width = 300;
  const height = 120;
  svg.setAttribute("viewBox", `-34 -8 ${width + 42} ${height + 26}`);
  svg.replaceChildren();
  const epochs = (history && history.epoch) || [];
  const train = (history && history.train_loss) || [];
  const test = (history && history.test_loss) || [];
  const finite = [...train, ...test].filter(Number.isFinite);
  const top = finite.length ? Math.max(...finite) * 1.05 || 1 : 1;
  el("rect", { x: 0, y: 0, width, height, class: "plot-frame" }, svg);
  el("text", { x: -4, y: 4, class: "axis-label", "text-anchor": "end" }, svg).textContent = formatNumber(top, 2);
  el("text", { x: -4, y: height, class: "axis-label", "text-anchor": "end" }, svg).textContent = "0";
  el("text", { x: width / 2, y: height + 16, class: "axis-label", "text-anchor": "middle" }, svg).textContent =
    "epoch";
  if (epochs.length < 1) return;
  el("polyline", { points: curvePoints(epochs, train, width, height, top), class: "curve-train" }, svg);
  el("polyline", { points: curvePoints(epochs, test, width, height, top), class: "curve-test" }, svg);
}

/**
 * The boundary: `values[r][c]` at (xs[c], ys[r]) painted cell by cell (ys grow upward), then
 * the train points filled and the test points ringed, coloured by label.
 */
export function drawBoundary(canvas, boundary, data) {
  const ctx = canvas.getContext("2d");
  const size = canvas.width;
  const { xs, ys, values, kind } = boundary;
  const scale = valueScale(kind, values);
  const cols = xs.length;
  const rows = ys.length;
  const cw = size / cols;
  const ch = size / rows;
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      ctx.fillStyle = css(boundaryColour(values[r][c], kind, scale));
      // Row r holds ys[r]; the lowest y is drawn at the bottom.
      ctx.fillRect(c * cw, size - (r + 1) * ch, cw + 0.5, ch + 0.5);
    }
  }
  if (!data) return;
  const x0 = xs[0];
  const x1 = xs[cols - 1];
  const y0 = ys[0];
  const y1 = ys[rows - 1];
  const px = (x) => ((x - x0) / (x1 - x0 || 1)) * (size - cw) + cw / 2;
  const py = (y) => size - (((y - y0) / (y1 - y0 || 1)) * (size - ch) + ch / 2);
  const regression = data.task === "regression";
  const labels = [...(data.train || []), ...(data.test || [])].map((p) => p[2]);
  const pointScale = regression ? valueScale("value", [labels]) : null;
  const colour = (label) =>
    regression ? css(boundaryColour(label, "value", pointScale)) : css(classColour(label));
  const dot = (point, filled) => {
    ctx.beginPath();
    ctx.arc(px(point[0]), py(point[1]), 3, 0, 2 * Math.PI);
    if (filled) {
      ctx.fillStyle = colour(point[2]);
      ctx.fill();
      ctx.strokeStyle = "white";
      ctx.lineWidth = 0.8;
    } else {
      ctx.strokeStyle = colour(point[2]);
      ctx.lineWidth = 1.6;
    }
    ctx.stroke();
  };
  for (const point of data.train || []) dot(point, true);
  for (const point of data.test || []) dot(point, false);
}
