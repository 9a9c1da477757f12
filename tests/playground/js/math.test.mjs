// The documents' notation rendered as HTML sub- and superscripts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { escapeHtml, mathToHtml, notationToHtml } from "../../../src/glassnet/playground/static/math.js";

const wrap = (html) => `<span class="math">${html}</span>`;

test("the forward equation: layer indices become superscripts that keep their brackets", () => {
  assert.equal(
    mathToHtml("Z^[1] = W^[1] A^[0] + b^[1]"),
    wrap("Z<sup>[1]</sup> = W<sup>[1]</sup> A<sup>[0]</sup> + b<sup>[1]</sup>"),
  );
});

test("δ, ∂ and a layer index with a minus sign pass through", () => {
  assert.equal(
    mathToHtml("δ^[l] = (W^[l+1])ᵀ δ^[l+1] ⊙ f'(Z^[l−1])"),
    wrap("δ<sup>[l]</sup> = (W<sup>[l+1]</sup>)ᵀ δ<sup>[l+1]</sup> ⊙ f'(Z<sup>[l−1]</sup>)"),
  );
  assert.equal(mathToHtml("∂L/∂W^[2]"), wrap("∂L/∂W<sup>[2]</sup>"));
});

test("subscripts: one letter, a run of digits, or a braced group", () => {
  assert.equal(mathToHtml("A^[1]_3"), wrap("A<sup>[1]</sup><sub>3</sub>"));
  assert.equal(mathToHtml("W_12 x_ij"), wrap("W<sub>12</sub> x<sub>i</sub>j"));
  assert.equal(mathToHtml("W_{ij}"), wrap("W<sub>ij</sub>"));
});

test("the part of LaTeX the server may send", () => {
  assert.equal(mathToHtml("Z^{[1]}"), wrap("Z<sup>[1]</sup>"));
  assert.equal(mathToHtml("\\delta^{[2]}"), wrap("δ<sup>[2]</sup>"));
  assert.equal(
    mathToHtml("\\frac{\\partial L}{\\partial W^{[1]}}"),
    wrap("∂L/∂W<sup>[1]</sup>"),
  );
  assert.equal(mathToHtml("W \\leftarrow W - \\eta \\cdot dW"), wrap("W ← W - η · dW"));
});

test("text is escaped, never taken as markup", () => {
  assert.equal(mathToHtml("<img src=x onerror=alert(1)>"), wrap("&lt;img src=x onerror=alert(1)&gt;"));
  assert.equal(escapeHtml('a & "b"'), "a &amp; &quot;b&quot;");
  assert.equal(mathToHtml(null), wrap(""));
});

test("m_hat and v_hat take a hat; prose keeps its words and renders its notation", () => {
  assert.equal(mathToHtml("m_hat of W^[1]"), wrap("m\u0302 of W<sup>[1]</sup>"));
  assert.equal(notationToHtml("Unit 2: a^[1]_2 = relu(w₁x + b) <b>"), "Unit 2: a<sup>[1]</sup><sub>2</sub> = relu(w₁x + b) &lt;b&gt;");
});
