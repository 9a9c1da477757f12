// The geometry of the drawings (the drawing itself needs a browser: the end-to-end test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { curvePoints, networkLayout } from "../../../src/glassnet/playground/static/plot.js";

test("networkLayout spreads layers across and centres each layer's units", () => {
  const positions = networkLayout([2, 3, 1], 200, 100, 20, 10);
  // Columns at the margin, the middle and the far margin: 20, 100, 180.
  assert.deepEqual(positions.map((column) => column[0].x), [20, 100, 180]);
  // Three units 10 px apart centred on y = 50: 40, 50, 60; one unit sits at 50.
  assert.deepEqual(positions[1].map((p) => p.y), [40, 50, 60]);
  assert.deepEqual(positions[2], [{ x: 180, y: 50 }]);
  assert.deepEqual(positions[0].map((p) => p.y), [45, 55]);
});

test("networkLayout squeezes a tall layer into the height", () => {
  const positions = networkLayout([16], 100, 100, 20, 26);
  const ys = positions[0].map((p) => p.y);
  assert.equal(ys.length, 16);
  assert.ok(Math.abs(ys[0] - 20) < 1e-9 && Math.abs(ys[15] - 80) < 1e-9, ys.join());
});

test("curvePoints maps epochs across and losses up from the bottom, skipping NaN", () => {
  // Epochs 1..3 over 100 px; losses 1 and 0.5 with top 1 in a 50 px box: y = 0 and 25.
  assert.equal(curvePoints([1, 2, 3], [1, 0.5, NaN], 100, 50, 1), "0.0,0.0 50.0,25.0");
  // One epoch: x = 0; a loss above the top is drawn at the top.
  assert.equal(curvePoints([4], [3], 100, 50, 2), "0.0,0.0");
});
