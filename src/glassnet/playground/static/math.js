// The documents' notation as HTML: `Z^[1] = W^[1] A^[0] + b^[1]` becomes Z<sup>[1]</sup> = …,
// with sub- and superscripts and Greek letters, and no library. It reads both the plain
// notation the trace prints (`δ^[2]`, `∂L/∂W^[1]`, `A_3`) and the small part of LaTeX the
// server may send (`Z^{[1]}`, `\delta^{[2]}`, `\frac{\partial L}{\partial W}`).

const COMMANDS = {
  alpha: "α",
  beta: "β",
  gamma: "γ",
  delta: "δ",
  epsilon: "ε",
  eta: "η",
  lambda: "λ",
  mu: "μ",
  sigma: "σ",
  theta: "θ",
  partial: "∂",
  nabla: "∇",
  odot: "⊙",
  cdot: "·",
  times: "×",
  top: "ᵀ",
  leftarrow: "←",
  gets: "←",
  sum: "Σ",
  sqrt: "√",
  approx: "≈",
  hat: "",
  mathrm: "",
  text: "",
  operatorname: "",
  left: "",
  right: "",
};

/** Text with &, <, >, " escaped for HTML. */
export function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The index just past the group that opens at `i` (`{…}` or `[…]`, nested). */
function groupEnd(text, i) {
  const open = text[i];
  const close = open === "{" ? "}" : "]";
  let depth = 0;
  for (let j = i; j < text.length; j += 1) {
    if (text[j] === open) depth += 1;
    else if (text[j] === close) {
      depth -= 1;
      if (depth === 0) return j + 1;
    }
  }
  return text.length;
}

/** The script after `^` or `_` at index i: its HTML and the index after it. */
function script(text, i) {
  const c = text[i];
  if (c === "{") {
    const end = groupEnd(text, i);
    return [render(text.slice(i + 1, end - 1)), end];
  }
  if (c === "[") {
    // The documents' layer index keeps its brackets: ^[l−1] is a superscript "[l−1]".
    const end = groupEnd(text, i);
    return [render(text.slice(i, end)), end];
  }
  if (c === "\\") {
    const match = /^\\([A-Za-z]+)/.exec(text.slice(i));
    if (match) return [escapeHtml(COMMANDS[match[1]] ?? match[1]), i + match[0].length];
  }
  const match = /^[A-Za-z0-9]+|^./u.exec(text.slice(i));
  if (!match) return ["", i];
  // One letter (`A_i`), or a run of digits (`W_12`), or one character of anything else.
  const token = /^[0-9]+$/.test(match[0]) ? match[0] : Array.from(match[0])[0];
  return [escapeHtml(token), i + token.length];
}

function render(text) {
  let html = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith("_hat", i) && !/[A-Za-z0-9]/.test(text[i + 4] ?? "")) {
      html += "\u0302"; // m_hat, the server's name for m̂: a combining circumflex
      i += 4;
    } else if (c === "^" || c === "_") {
      const [inner, next] = script(text, i + 1);
      html += c === "^" ? `<sup>${inner}</sup>` : `<sub>${inner}</sub>`;
      i = next;
    } else if (c === "\\") {
      const match = /^\\([A-Za-z]+)/.exec(text.slice(i));
      if (!match) {
        html += escapeHtml(text[i + 1] ?? "");
        i += 2;
        continue;
      }
      i += match[0].length;
      if (match[1] === "frac" && text[i] === "{") {
        const numEnd = groupEnd(text, i);
        const numerator = render(text.slice(i + 1, numEnd - 1));
        let denominator = "";
        i = numEnd;
        if (text[i] === "{") {
          const denEnd = groupEnd(text, i);
          denominator = render(text.slice(i + 1, denEnd - 1));
          i = denEnd;
        }
        html += `${numerator}/${denominator}`;
      } else {
        html += escapeHtml(COMMANDS[match[1]] ?? match[1]);
        // `\partial L` reads ∂L; elsewhere the space the author wrote stays.
        if (text[i] === " " && (match[1] === "partial" || match[1] === "nabla")) i += 1;
      }
    } else if (c === "{" || c === "}") {
      i += 1; // LaTeX grouping braces that no script consumed
    } else {
      html += escapeHtml(c);
      i += 1;
    }
  }
  return html;
}

/** Prose with bits of notation in it (`a^[1]_2 = relu(…)`): the scripts rendered, no math font. */
export function notationToHtml(text) {
  return render(String(text ?? ""));
}

/** The HTML of one formula or array name, inside `<span class="math">`. */
export function mathToHtml(text) {
  return `<span class="math">${render(String(text ?? ""))}</span>`;
}
