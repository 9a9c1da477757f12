// The page: a form for the config, the buttons, and what the server's state draws.
// Every change of the config rebuilds the network on the server (POST /api/reset) and is
// written into the URL fragment, so that the address always reproduces what is on screen.

import { makeApi } from "./api.js";
import { escapeHtml, mathToHtml, notationToHtml } from "./math.js";
import { drawBoundary, drawLossCurves, drawNetwork } from "./plot.js";
import {
  FALLBACK_CONFIG,
  clone,
  configFromFragment,
  csvColumns,
  formatNumber,
  mergeConfig,
  stateFragment,
  tokenFromSearch,
} from "./state.js";

const POLL_MS = 250;
const BOUNDARY_EVERY = 4; // polls between two boundary pictures while training
const GRID = 40; // the boundary's n × n grid
const SHOWN = 8; // rows and columns of an array the glass box prints
const CSV_IN_LINK = 8000; // a CSV longer than this stays out of the link

const $ = (id) => document.getElementById(id);
const api = makeApi(tokenFromSearch(location.search));

let options = null;
let config = clone(FALLBACK_CONFIG);
let state = null;
let traceLayer = null; // the layer whose glass box is open (1-based)
let unitView = null; // {layer, unit} whose picture is shown, or null for the output
let polling = null;
let polls = 0;
let resetTimer = null;
let busyBoundary = false;

function showError(error) {
  const box = $("error");
  box.textContent = error && error.message ? error.message : String(error);
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

/** Runs an action; a failure shows the server's sentence on the page. */
async function attempt(action) {
  try {
    const result = await action();
    clearError();
    return result;
  } catch (error) {
    showError(error);
    return undefined;
  }
}

// ---- the form -------------------------------------------------------------------------

function fillSelect(select, values, labels = values) {
  select.replaceChildren(
    ...values.map((value, k) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = labels[k];
      return option;
    }),
  );
}

function limit(name, fallback) {
  return (options && options.limits && options.limits[name]) || fallback;
}

function writeForm() {
  $("dataset").value = config.dataset;
  $("noise").value = config.noise;
  $("noise-out").textContent = config.noise;
  $("train-ratio").value = config.train_ratio;
  $("train-ratio-out").textContent = `${Math.round(config.train_ratio * 100)}%`;
  $("samples").value = config.samples;
  $("optimizer").value = config.optimizer;
  const rate = $("learning-rate");
  if (![...rate.options].some((o) => Number(o.value) === Number(config.learning_rate))) {
    rate.append(new Option(String(config.learning_rate)));
  }
  rate.value = [...rate.options].find((o) => Number(o.value) === Number(config.learning_rate)).value;
  $("batch-size").value = config.batch_size;
  $("batch-size-out").textContent = config.batch_size;
  $("l1").value = config.l1;
  $("l2").value = config.l2;
  $("batch-norm").checked = Boolean(config.batch_norm);
  $("seed").value = config.seed;
  $("csv-box").hidden = config.dataset !== "csv";
  drawLayerEditor();
}

function readForm() {
  config.dataset = $("dataset").value;
  config.noise = Number($("noise").value);
  config.train_ratio = Number($("train-ratio").value);
  config.samples = Number($("samples").value);
  config.optimizer = $("optimizer").value;
  config.learning_rate = Number($("learning-rate").value);
  config.batch_size = Number($("batch-size").value);
  config.l1 = Number($("l1").value);
  config.l2 = Number($("l2").value);
  config.batch_norm = $("batch-norm").checked;
  config.seed = Number($("seed").value);
  if (config.dataset === "csv" && config.csv) {
    config.csv.x = $("csv-x").value;
    config.csv.y = $("csv-y").value;
    config.csv.target = $("csv-target").value;
  }
}

function button(text, testid, onClick, title = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.dataset.testid = testid;
  if (title) b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

/** One row per hidden layer: units − n +, its activation, its dropout, and ✕. */
function drawLayerEditor() {
  const box = $("layers");
  const activations = (options && options.activations) || ["relu", "tanh", "sigmoid", "linear"];
  box.replaceChildren(
    ...config.layers.map((layer, k) => {
      const l = k + 1;
      const row = document.createElement("div");
      row.className = "layer-row";
      const name = document.createElement("span");
      name.textContent = `layer ${l}`;
      const units = document.createElement("b");
      units.textContent = `${layer.units} units`;
      units.dataset.testid = `units-${l}`;
      const activation = document.createElement("select");
      activation.dataset.testid = `activation-${l}`;
      fillSelect(activation, activations);
      activation.value = layer.activation;
      activation.addEventListener("change", () => {
        layer.activation = activation.value;
        configChanged();
      });
      const dropout = document.createElement("input");
      Object.assign(dropout, { type: "number", min: 0, max: 0.9, step: 0.1, value: layer.dropout, title: "dropout" });
      dropout.dataset.testid = `dropout-${l}`;
      dropout.addEventListener("change", () => {
        layer.dropout = Number(dropout.value);
        configChanged();
      });
      const dropLabel = document.createElement("label");
      dropLabel.className = "inline";
      dropLabel.append("dropout ", dropout);
      row.append(
        name,
        button("−", `units-minus-${l}`, () => {
          if (layer.units > 1) layer.units -= 1;
          configChanged();
        }),
        units,
        button("+", `units-plus-${l}`, () => {
          if (layer.units < limit("units", 16)) layer.units += 1;
          configChanged();
        }),
        activation,
        dropLabel,
        button("✕", `remove-layer-${l}`, () => {
          config.layers.splice(k, 1);
          configChanged();
        }, "remove this layer"),
      );
      return row;
    }),
  );
  $("add-layer").disabled = config.layers.length >= limit("layers", 8);
}

/** The config changed: draw the form, write the link, rebuild on the server shortly. */
function configChanged() {
  writeForm();
  writeFragment();
  clearTimeout(resetTimer);
  resetTimer = setTimeout(reset, 250);
}

function linkConfig() {
  const shown = clone(config);
  if (shown.csv && shown.csv.text && shown.csv.text.length > CSV_IN_LINK) shown.csv = null;
  return shown;
}

function writeFragment() {
  history.replaceState(null, "", stateFragment(linkConfig()));
}

// ---- the server's state ---------------------------------------------------------------

function render(next) {
  state = next;
  $("epoch").textContent = next.epoch;
  $("step-count").textContent = next.step;
  $("train-loss").textContent = formatNumber(next.train_loss);
  $("test-loss").textContent = formatNumber(next.test_loss);
  $("play").textContent = next.running ? "❚❚ Pause" : "▶ Play";
  $("play").classList.toggle("running", next.running);
  drawLossCurves($("loss"), next.history);
  const selected = unitView || (traceLayer ? { layer: traceLayer, unit: null } : null);
  drawNetwork($("network"), next.network, next.findings, selected, openLayer, openUnit);
  $("findings").replaceChildren(
    ...(next.findings || []).map((finding) => {
      const item = document.createElement("li");
      item.textContent = finding.text; // it names its layer and units itself
      return item;
    }),
  );
}

async function refreshBoundary() {
  if (busyBoundary || !state) return;
  busyBoundary = true;
  try {
    const layer = unitView ? unitView.layer : 0;
    const unit = unitView ? unitView.unit : 1; // the server ignores it for the output (layer 0)
    const picture = await api.boundary(layer, unit, GRID);
    drawBoundary($("boundary"), picture, state.data);
    $("explanation").innerHTML = notationToHtml(picture.explanation || "");
    $("boundary-title").innerHTML = unitView
      ? `Unit ${unitView.unit} of layer ${unitView.layer}: ${mathToHtml(`A^[${unitView.layer}]_${unitView.unit}`)}`
      : "Output";
    $("show-output").hidden = !unitView;
  } catch (error) {
    showError(error);
  } finally {
    busyBoundary = false;
  }
}

function startPolling() {
  if (polling) return;
  polls = 0;
  const tick = async () => {
    try {
      const next = await api.state();
      render(next);
      polls += 1;
      if (polls % BOUNDARY_EVERY === 0) refreshBoundary();
      if (!next.running) {
        stopPolling();
        await refreshBoundary();
        if (traceLayer) await loadTrace(traceLayer);
        return;
      }
    } catch (error) {
      showError(error);
    }
    if (polling) polling = setTimeout(tick, POLL_MS);
  };
  polling = setTimeout(tick, POLL_MS);
}

function stopPolling() {
  clearTimeout(polling);
  polling = null;
}

async function reset() {
  clearTimeout(resetTimer);
  stopPolling();
  if (config.dataset === "csv" && !(config.csv && config.csv.text)) {
    showError(new Error("choose a CSV file first (the data set is 'csv')"));
    return;
  }
  const next = await attempt(() => api.reset(config));
  if (!next) return;
  unitView = null;
  render(next);
  await refreshBoundary();
  if (traceLayer) clearTrace(traceLayer); // a new network has no mini-batch yet
  // A counter that tests (and curious readers) can watch: how many times the network was built.
  document.body.dataset.resets = String(Number(document.body.dataset.resets || 0) + 1);
}

async function togglePlay() {
  const next = await attempt(() => (state && state.running ? api.pause() : api.play()));
  if (!next) return;
  render(next);
  if (next.running) startPolling();
  else {
    stopPolling();
    await refreshBoundary();
    if (traceLayer) await loadTrace(traceLayer);
  }
}

async function stepOnce() {
  if (state && state.running) {
    stopPolling();
    const paused = await attempt(() => api.pause());
    if (!paused) return;
  }
  const next = await attempt(() => api.step());
  if (!next) return;
  render(next);
  await refreshBoundary();
  if (traceLayer) await loadTrace(traceLayer);
}

// ---- the glass box --------------------------------------------------------------------

function arrayTable(values) {
  const rows = Array.isArray(values[0]) ? values : [values];
  const table = document.createElement("table");
  for (const row of rows.slice(0, SHOWN)) {
    const tr = table.insertRow();
    const cells = Array.isArray(row) ? row : [row];
    for (const v of cells.slice(0, SHOWN)) tr.insertCell().textContent = formatNumber(v, 3);
    if (cells.length > SHOWN) tr.insertCell().textContent = "…";
  }
  if (rows.length > SHOWN) table.insertRow().insertCell().textContent = "⋮";
  return table;
}

function clearTrace(layer) {
  // The numbers of the network before a reset are not this one's: none until its first step.
  $("trace").innerHTML =
    `<h2>Glass box: layer ${layer}</h2>` +
    '<p class="hint" data-testid="trace-empty">A new network: take a step (or play) to see ' +
    "its mini-batch.</p>";
}

async function loadTrace(layer) {
  const record = await attempt(() => api.trace(layer));
  if (!record) {
    clearTrace(layer);
    return;
  }
  const panel = $("trace");
  const parts = [`<h2>Glass box: layer ${layer}, the current mini-batch</h2>`];
  parts.push('<ol class="equations" data-testid="equations">');
  for (const equation of record.equations || []) parts.push(`<li>${mathToHtml(equation)}</li>`);
  parts.push("</ol>");
  const concerns = ((state && state.findings) || []).filter((f) => f.layer === layer);
  for (const finding of concerns) parts.push(`<p class="finding">⚠ ${notationToHtml(finding.text)}</p>`);
  panel.innerHTML = parts.join("");
  const grid = document.createElement("div");
  grid.className = "arrays";
  for (const array of record.arrays || []) {
    const box = document.createElement("figure");
    box.className = "array";
    box.dataset.name = array.name;
    const shape = (array.shape || []).join(" × ");
    box.innerHTML = `<figcaption>${mathToHtml(array.name)} <small>${escapeHtml(shape)}</small></figcaption>`;
    box.append(arrayTable(array.values || []));
    grid.append(box);
  }
  panel.append(grid);
}

function openLayer(layer) {
  traceLayer = layer;
  unitView = null;
  if (state) render(state);
  refreshBoundary();
  loadTrace(layer);
}

function openUnit(layer, unit) {
  const outputLayer = state ? state.network.sizes.length - 1 : layer;
  traceLayer = layer;
  unitView = layer === outputLayer ? null : { layer, unit };
  if (state) render(state);
  refreshBoundary();
  loadTrace(layer);
}

// ---- CSV and export -------------------------------------------------------------------

async function readCsv(file) {
  const text = await file.text();
  const { names, rows } = csvColumns(text);
  for (const id of ["csv-x", "csv-y", "csv-target"]) fillSelect($(id), names);
  $("csv-x").value = names[0];
  $("csv-y").value = names[1];
  $("csv-target").value = names[names.length - 1];
  $("csv-info").textContent = `${file.name}: ${rows} rows, ${names.length} columns`;
  config.csv = { text, x: names[0], y: names[1], target: names[names.length - 1] };
  configChanged();
}

function shareLink() {
  const url = location.origin + location.pathname + location.search + stateFragment(linkConfig());
  const field = $("export-url");
  field.value = url;
  field.hidden = false;
  field.select();
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
}

// ---- start ----------------------------------------------------------------------------

function wire() {
  for (const id of ["dataset", "noise", "train-ratio", "samples", "optimizer", "learning-rate",
    "batch-size", "l1", "l2", "batch-norm", "seed", "csv-x", "csv-y", "csv-target"]) {
    $(id).addEventListener("change", () => {
      readForm();
      configChanged();
    });
  }
  for (const id of ["noise", "train-ratio", "batch-size"]) {
    $(id).addEventListener("input", () => {
      $(`${id}-out`).textContent = $(id).value;
    });
  }
  $("add-layer").addEventListener("click", () => {
    const last = config.layers[config.layers.length - 1];
    config.layers.push({ units: last ? last.units : 4, activation: last ? last.activation : "relu", dropout: 0 });
    configChanged();
  });
  $("csv-file").addEventListener("change", () => {
    const file = $("csv-file").files[0];
    if (file) readCsv(file).catch(showError);
  });
  $("play").addEventListener("click", togglePlay);
  $("step").addEventListener("click", stepOnce);
  $("reset").addEventListener("click", () => {
    readForm();
    reset();
  });
  $("show-output").addEventListener("click", () => {
    unitView = null;
    if (state) render(state);
    refreshBoundary();
  });
  $("export-link").addEventListener("click", shareLink);
  $("export-model").href = api.downloadHref("model");
  $("export-spec").href = api.downloadHref("spec");
  $("export-python").href = api.downloadHref("python");
  window.addEventListener("hashchange", () => {
    try {
      config = mergeConfig(config, configFromFragment(location.hash));
      configChanged();
    } catch (error) {
      showError(error);
    }
  });
}

async function main() {
  wire();
  options = await attempt(() => api.options());
  const datasets = options ? options.datasets.map((d) => d.name) : ["spiral"];
  fillSelect($("dataset"), datasets);
  fillSelect($("optimizer"), options ? options.optimizers : ["adam"]);
  $("batch-size").max = limit("batch_size", 500);
  $("samples").max = limit("samples", 2000);
  let restored = null;
  try {
    restored = configFromFragment(location.hash);
  } catch (error) {
    showError(error);
  }
  config = mergeConfig((options && options.defaults) || FALLBACK_CONFIG, restored);
  writeForm();
  writeFragment();
  if (config.csv && config.csv.text) {
    const { names } = csvColumns(config.csv.text);
    for (const id of ["csv-x", "csv-y", "csv-target"]) fillSelect($(id), names);
    $("csv-x").value = config.csv.x;
    $("csv-y").value = config.csv.y;
    $("csv-target").value = config.csv.target;
  }
  await reset();
  document.body.dataset.ready = "true";
}

main();
