// The page's pure logic: the URL fragment, numbers, colours, CSV headers.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CLASS_COLOURS,
  NEGATIVE,
  NEUTRAL,
  POSITIVE,
  boundaryColour,
  classColour,
  configFromFragment,
  csvColumns,
  decodeState,
  divergingColour,
  encodeState,
  formatNumber,
  maxAbsWeight,
  mergeConfig,
  parseUnitId,
  splitCsvLine,
  stateFragment,
  tokenFromSearch,
  valueScale,
  weightStyle,
} from "../../../src/glassnet/playground/static/state.js";

const CONFIG = {
  dataset: "spiral",
  noise: 0.15,
  train_ratio: 0.6,
  samples: 400,
  layers: [{ units: 6, activation: "tanh", dropout: 0.1 }, { units: 3, activation: "relu", dropout: 0 }],
  batch_norm: true,
  l1: 0,
  l2: 0.001,
  optimizer: "sgd",
  learning_rate: 0.03,
  batch_size: 10,
  seed: 42,
  csv: { text: "größe,b\n1,2\n", x: "größe", y: "b", target: "b" },
};

test("a config survives the URL fragment unchanged, non-ASCII text included", () => {
  const fragment = stateFragment(CONFIG);
  assert.match(fragment, /^#state=[A-Za-z0-9_-]+$/); // nothing a URL would escape
  assert.deepEqual(configFromFragment(fragment), CONFIG);
});

test("encodeState is the URL-safe base64 of the UTF-8 JSON, without padding", () => {
  const json = JSON.stringify({ a: 1, s: "δ?>" });
  const expected = Buffer.from(json, "utf8").toString("base64url");
  assert.equal(encodeState({ a: 1, s: "δ?>" }), expected);
});

test("decodeState reads standard base64 with padding too (what a server may write)", () => {
  const standard = Buffer.from(JSON.stringify(CONFIG), "utf8").toString("base64");
  assert.deepEqual(decodeState(standard), CONFIG);
  assert.deepEqual(decodeState(encodeURIComponent(standard)), CONFIG);
});

test("a broken #state= is refused with a sentence saying what is wrong", () => {
  assert.throws(() => decodeState("%%%"), /base64/);
  assert.throws(() => decodeState(Buffer.from("{not json").toString("base64")), /JSON/);
  assert.throws(() => decodeState(Buffer.from("[1,2]").toString("base64")), /JSON object, not \[1,2\]/);
});

test("configFromFragment finds state= among other parts and gives null without it", () => {
  assert.equal(configFromFragment(""), null);
  assert.equal(configFromFragment("#other=1"), null);
  assert.deepEqual(configFromFragment(`#x=1&state=${encodeState({ seed: 3 })}`), { seed: 3 });
});

test("mergeConfig keeps only the keys the defaults know and copies deeply", () => {
  const defaults = { dataset: "circle", layers: [{ units: 4 }], seed: 0 };
  const merged = mergeConfig(defaults, { dataset: "xor", evil: "x", layers: [{ units: 2 }] });
  assert.deepEqual(merged, { dataset: "xor", layers: [{ units: 2 }], seed: 0 });
  merged.layers[0].units = 9;
  assert.equal(defaults.layers[0].units, 4);
  assert.deepEqual(mergeConfig(defaults, null), defaults);
});

test("tokenFromSearch reads ?token=", () => {
  assert.equal(tokenFromSearch("?token=abc123&x=1"), "abc123");
  assert.equal(tokenFromSearch(""), "");
});

test("formatNumber writes four significant digits that parseFloat reads back", () => {
  assert.equal(formatNumber(0.123456), "0.1235");
  assert.equal(formatNumber(12.5), "12.5");
  assert.equal(formatNumber(0.05), "0.05");
  assert.equal(formatNumber(-2.0004), "-2");
  assert.equal(formatNumber(1.23456e-7), "1.235e-7");
  assert.equal(formatNumber(2.5e9), "2.5e9");
  assert.equal(formatNumber(0), "0");
  for (const x of [0.693147, 3.14159e-5, 1234.5678, -0.0012345]) {
    const back = parseFloat(formatNumber(x));
    assert.ok(Math.abs(back - x) <= 5e-4 * Math.abs(x), `${x} → ${formatNumber(x)}`);
  }
});

test("formatNumber gives a dash for a missing or non-finite loss", () => {
  for (const x of [NaN, Infinity, null, undefined, "0.1"]) assert.equal(formatNumber(x), "—");
});

test("the diverging scale runs orange → near-white → blue, clipped outside [−1, 1]", () => {
  assert.deepEqual(divergingColour(-1), NEGATIVE);
  assert.deepEqual(divergingColour(0), NEUTRAL);
  assert.deepEqual(divergingColour(1), POSITIVE);
  assert.deepEqual(divergingColour(7), POSITIVE);
  assert.deepEqual(divergingColour(NaN), NEUTRAL);
  // Halfway to blue, by hand: ((232+8)/2, (234+119)/2, (235+189)/2) = (120, 176.5, 212).
  assert.deepEqual(divergingColour(0.5), [120, 177, 212]);
  // Halfway to orange: ((232+245)/2, (234+147)/2, (235+34)/2) = (238.5, 190.5, 134.5).
  assert.deepEqual(divergingColour(-0.5), [239, 191, 135]);
});

test("valueScale centres each kind of picture where its meaning changes", () => {
  assert.deepEqual(valueScale("probability", [[0.2, 0.9]]), { center: 0.5, half: 0.5 });
  assert.deepEqual(valueScale("activation", [[-2, 1], [0.5, 0]]), { center: 0, half: 2 });
  assert.deepEqual(valueScale("value", [[1, 3], [5, 2]]), { center: 3, half: 2 });
  assert.deepEqual(valueScale("value", [[4, 4]]), { center: 4, half: 1 });
  assert.deepEqual(valueScale("activation", [[0, 0]]), { center: 0, half: 1 });
  assert.deepEqual(valueScale("value", [[NaN]]), { center: 0, half: 1 });
});

test("boundaryColour: probability 0.75 is halfway to blue; a class is its colour lightened", () => {
  assert.deepEqual(boundaryColour(0.75, "probability", valueScale("probability", [])), [120, 177, 212]);
  assert.deepEqual(boundaryColour(0.5, "probability", { center: 0.5, half: 0.5 }), NEUTRAL);
  // Class 1 = (8, 119, 189) mixed 55 % toward white: 8 + 247·0.55 = 143.85, 119 + 136·0.55 = 193.8,
  // 189 + 66·0.55 = 225.3.
  assert.deepEqual(boundaryColour(1, "class", null), [144, 194, 225]);
  assert.deepEqual(boundaryColour(-3, "activation", { center: 0, half: 3 }), NEGATIVE);
});

test("class colours: class 0 orange, class 1 blue, distinct, cycling past eight", () => {
  assert.deepEqual(classColour(0), NEGATIVE);
  assert.deepEqual(classColour(1), POSITIVE);
  assert.deepEqual(classColour(9), classColour(1));
  const distinct = new Set(CLASS_COLOURS.map((c) => c.join()));
  assert.equal(distinct.size, CLASS_COLOURS.length);
});

test("weightStyle: sign gives the colour, |w| / max the width and opacity", () => {
  assert.deepEqual(weightStyle(-0.5, 1), { colour: "rgb(245,147,34)", width: 3.25, opacity: 0.625 });
  assert.deepEqual(weightStyle(2, 1), { colour: "rgb(8,119,189)", width: 6, opacity: 1 });
  assert.deepEqual(weightStyle(0.3, 0), { colour: "rgb(8,119,189)", width: 0.5, opacity: 0.25 });
});

test("maxAbsWeight looks through every layer", () => {
  assert.equal(maxAbsWeight([[[0.1, -0.7]], [[0.2], [0.65]]]), 0.7);
  assert.equal(maxAbsWeight([]), 0);
  assert.equal(maxAbsWeight(undefined), 0);
});

test("csvColumns reads the header (quotes kept apart) and counts the rows", () => {
  const text = 'x,"y, in m",label\r\n1,2,0\n\n3,4,1\n';
  assert.deepEqual(csvColumns(text), { names: ["x", "y, in m", "label"], rows: 2 });
  assert.deepEqual(splitCsvLine('a,"say ""hi""",c'), ["a", 'say "hi"', "c"]);
  assert.throws(() => csvColumns(""), /empty/);
  assert.throws(() => csvColumns("only\n1\n"), /at least 2 columns, but its header has 1/);
});

test("parseUnitId reads unit-L-U", () => {
  assert.deepEqual(parseUnitId("unit-1-3"), { layer: 1, unit: 3 });
  assert.deepEqual(parseUnitId("unit-12-10"), { layer: 12, unit: 10 });
  assert.equal(parseUnitId("layer-1"), null);
});
