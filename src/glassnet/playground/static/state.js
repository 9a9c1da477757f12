// Pure logic of the page, with no DOM and no network, so that `node --test` can check it:
// the page's state in the URL fragment, number formatting, the colour scales, CSV headers.

/** The configuration the page falls back on when the server's defaults are not known. */
export const FALLBACK_CONFIG = Object.freeze({
  dataset: "spiral",
  noise: 0.1,
  train_ratio: 0.5,
  samples: 400,
  layers: [
    { units: 8, activation: "relu", dropout: 0 },
    { units: 8, activation: "relu", dropout: 0 },
  ],
  batch_norm: false,
  l1: 0,
  l2: 0,
  optimizer: "adam",
  learning_rate: 0.03,
  batch_size: 16,
  seed: 0,
  csv: null,
});

/** A deep copy of a JSON-like value (configs are plain data). */
export function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

function bytesToBase64Url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function base64ToBytes(text) {
  // Accept both alphabets (the server may write standard base64) and missing padding.
  let b64 = text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  while (b64.length % 4 !== 0) b64 += "=";
  const binary = atob(b64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A config as the URL-safe base64 of its UTF-8 JSON (what follows `#state=`). */
export function encodeState(config) {
  return bytesToBase64Url(new TextEncoder().encode(JSON.stringify(config)));
}

/** The config that `encodeState` wrote; throws an Error naming the problem otherwise. */
export function decodeState(text) {
  let json;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(base64ToBytes(decodeURIComponent(text)));
  } catch {
    throw new Error("the link's #state= is not base64 text");
  }
  let config;
  try {
    config = JSON.parse(json);
  } catch {
    throw new Error("the link's #state= does not hold JSON");
  }
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`the link's #state= should hold a JSON object, not ${JSON.stringify(config)}`);
  }
  return config;
}

/** The `#state=...` fragment of a config. */
export function stateFragment(config) {
  return `#state=${encodeState(config)}`;
}

/** The config in a fragment such as `#state=...` (other `&key=value` parts ignored), or null. */
export function configFromFragment(hash) {
  const body = (hash || "").replace(/^#/, "");
  for (const part of body.split("&")) {
    if (part.startsWith("state=")) return decodeState(part.slice("state=".length));
  }
  return null;
}

/**
 * The defaults with what a restored config says on top: only the keys the defaults know,
 * so that an old or hand-edited link cannot smuggle in anything else. The server still
 * validates every value.
 */
export function mergeConfig(defaults, restored) {
  const merged = clone(defaults);
  if (!restored) return merged;
  for (const key of Object.keys(merged)) {
    if (key in restored) merged[key] = clone(restored[key]);
  }
  if ("csv" in restored && !("csv" in merged)) merged.csv = clone(restored.csv);
  return merged;
}

/** The token the server put in the page's URL (`?token=...`), or "" when there is none. */
export function tokenFromSearch(search) {
  return new URLSearchParams(search || "").get("token") || "";
}

/**
 * A number as plain text that `parseFloat` reads back: four significant digits, without
 * trailing zeros ("0.1235", "12.5", "1.235e-7"); "—" for a missing or non-finite value.
 */
export function formatNumber(x, digits = 4) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e6) {
    const [mantissa, exponent] = x.toExponential(digits - 1).split("e");
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    return `${trimmed}e${Number(exponent)}`;
  }
  return String(Number(x.toPrecision(digits)));
}

// Negative weights and class 0 in orange, positive weights and class 1 in blue, zero near
// white: the convention readers of such pictures already know.
export const NEGATIVE = [245, 147, 34];
export const NEUTRAL = [232, 234, 235];
export const POSITIVE = [8, 119, 189];

/** Eight colours that stay apart for up to eight classes (class 0 orange, class 1 blue). */
export const CLASS_COLOURS = [
  [245, 147, 34],
  [8, 119, 189],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
];

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

/** The diverging scale: t in [−1, 1] (clipped) from orange through near-white to blue. */
export function divergingColour(t) {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  return c < 0 ? mix(NEUTRAL, NEGATIVE, -c) : mix(NEUTRAL, POSITIVE, c);
}

/** Class k's colour (cycling past eight classes). */
export function classColour(k) {
  const n = CLASS_COLOURS.length;
  return CLASS_COLOURS[((Math.round(k) % n) + n) % n].slice();
}

/**
 * How a boundary's values map onto the diverging scale: `{center, half}` such that
 * `(v − center) / half` lies in [−1, 1].
 * - "probability": 0.5 is the middle, 0 and 1 the ends;
 * - "activation": 0 is the middle (a unit is off or on), the largest |A| the ends;
 * - "value" (a regression surface): the middle of the range, its ends the ends.
 */
export function valueScale(kind, values) {
  if (kind === "probability") return { center: 0.5, half: 0.5 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of values) {
    for (const v of row) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!Number.isFinite(lo)) return { center: 0, half: 1 };
  if (kind === "activation") {
    const half = Math.max(Math.abs(lo), Math.abs(hi));
    return { center: 0, half: half > 0 ? half : 1 };
  }
  const half = (hi - lo) / 2;
  return { center: (hi + lo) / 2, half: half > 0 ? half : 1 };
}

/** The colour of one boundary cell: a class's colour, lightened, or the diverging scale. */
export function boundaryColour(value, kind, scale) {
  if (kind === "class") return mix(classColour(value), [255, 255, 255], 0.55);
  return divergingColour((value - scale.center) / scale.half);
}

/**
 * How an edge shows a weight: its colour by sign, its width by |w| relative to the largest
 * |w| of the network (between 0.5 and 6 pixels), its opacity likewise.
 */
export function weightStyle(w, maxAbs) {
  const r = maxAbs > 0 ? Math.min(1, Math.abs(w) / maxAbs) : 0;
  const [red, green, blue] = w < 0 ? NEGATIVE : POSITIVE;
  return {
    colour: `rgb(${red},${green},${blue})`,
    width: 0.5 + 5.5 * r,
    opacity: 0.25 + 0.75 * r,
  };
}

/** The largest |w| over every layer's weights (`weights[l][i][j]`), 0 when there are none. */
export function maxAbsWeight(weights) {
  let m = 0;
  for (const layer of weights || []) {
    for (const row of layer) {
      for (const w of row) if (Number.isFinite(w)) m = Math.max(m, Math.abs(w));
    }
  }
  return m;
}

/** "rgb(r,g,b)" of a colour triple. */
export function css(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

/**
 * The column names of a CSV's header line (quotes removed; commas inside quotes kept),
 * and how many data lines follow. Throws when there is no header or fewer than 2 columns.
 */
export function csvColumns(text) {
  const lines = String(text || "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  if (lines.length === 0) throw new Error("the CSV file is empty");
  const names = splitCsvLine(lines[0]).map((name) => name.trim());
  if (names.length < 2) {
    throw new Error(`the CSV file needs at least 2 columns, but its header has ${names.length}`);
  }
  return { names, rows: lines.length - 1 };
}

/** One CSV line's fields (RFC 4180 quoting: "" inside quotes is one "). */
export function splitCsvLine(line) {
  const fields = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The 1-based (layer, unit) of a data-testid such as "unit-1-3", or null. */
export function parseUnitId(testid) {
  const match = /^unit-(\d+)-(\d+)$/.exec(testid || "");
  return match ? { layer: Number(match[1]), unit: Number(match[2]) } : null;
}
