// The page of symbackprop serve: posts to the JSON API and shows its answers. Everything the
// server sends back is put on the page as text (textContent), never as markup; the
// explanation, a page of its own, is shown in a sandboxed frame.
"use strict";

const $ = (id) => document.getElementById(id);

// -- the code editor: CodeMirror when it loaded, the plain textarea otherwise -------------------
const editor = (() => {
  const area = $("code");
  if (typeof CodeMirror === "undefined") {
    return {
      getValue: () => area.value,
      setValue: (text) => { area.value = text; },
      mark: () => {},
      clearMarks: () => {},
      focusLine: () => {},
      lineText: (line) => area.value.split("\n")[line - 1] || "",
    };
  }
  const cm = CodeMirror.fromTextArea(area, {
    mode: "python", lineNumbers: true, indentUnit: 4, viewportMargin: Infinity,
  });
  let marked = [];
  return {
    cm,
    getValue: () => cm.getValue(),
    setValue: (text) => cm.setValue(text),
    mark(line, kind) {  // kind: "wrong", "first-wrong", "follows"
      const handle = cm.addLineClass(line - 1, "background", "line-" + kind);
      marked.push([handle, "line-" + kind]);
    },
    clearMarks() {
      marked.forEach(([handle, cls]) => cm.removeLineClass(handle, "background", cls));
      marked = [];
    },
    focusLine(line) {
      cm.scrollIntoView({line: line - 1, ch: 0}, 80);
      cm.setCursor({line: line - 1, ch: 0});
    },
    lineText: (line) => cm.getLine(line - 1) || "",
  };
})();
window.symbackpropEditor = editor;  // for graders' own scripts and the page's tests

// -- talking to the API -------------------------------------------------------------------------
async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    });
  } catch (error) {
    return {ok: false, data: {error: "the server could not be reached", kind: "network"}};
  }
  let data;
  try {
    data = await response.json();
  } catch (error) {
    data = {error: `the server answered ${response.status} without JSON`, kind: "internal"};
  }
  return {ok: response.ok, data};
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function setStatus(id, text, kind) {
  const status = $(id);
  status.textContent = text;
  status.dataset.kind = kind || "";
}

// -- check --------------------------------------------------------------------------------------
async function runCheck() {
  const button = $("check");
  button.disabled = true;
  setStatus("check-status", "checking...", "working");
  editor.clearMarks();
  $("results").replaceChildren();
  const {body, formulaLines} = checkRequest();
  const {ok, data} = await post("/api/check", body);
  button.disabled = false;
  if (!ok) {
    setStatus("check-status", data.error, "error");
    return;
  }
  // Formulas are judged one by one: each verdict belongs to its line of the editor.
  (data.verdicts || []).forEach((v, i) => { if (v.line === null && formulaLines) v.line = formulaLines[i]; });
  const units = data.units || [{function: null, status: "checked", report: data, warnings: []}];
  setStatus("check-status", summary(data, units), data.ok ? "correct" : "wrong");
  units.forEach((unit) => $("results").append(unitCard(unit)));
  markLines(units);
}

// Code is checked against its own forward pass; formulas, one a line, against a built-in.
function checkRequest() {
  const model = $("against").value;
  if (!model) {
    const body = {code: editor.getValue()};
    const name = $("function").value.trim();
    if (name) body.function = name;
    if (uploadedName) body.filename = uploadedName;
    return {body, formulaLines: null};
  }
  const lines = editor.getValue().split("\n");
  const formulaLines = [];
  const formulas = [];
  lines.forEach((line, index) => {
    if (line.trim() && !line.trim().startsWith("#")) {
      formulas.push(line.trim());
      formulaLines.push(index + 1);
    }
  });
  const aliases = $("aliases").value.split(/[\s,]+/).filter((a) => a);
  return {body: {example: model, formulas, aliases}, formulaLines};
}

function summary(data, units) {
  const verdicts = units.flatMap((u) => (u.report ? u.report.verdicts : []));
  const wrong = verdicts.filter((v) => v.verdict === "wrong").length;
  const unread = units.filter((u) => u.status !== "checked").length;
  let text = `${verdicts.length} gradient${verdicts.length === 1 ? "" : "s"}: `;
  text += wrong ? `${wrong} wrong` : "all correct";
  if (unread) text += `, ${unread} function${unread === 1 ? "" : "s"} not judged`;
  return text;
}

function unitCard(unit) {
  const card = element("article", "unit");
  card.dataset.status = unit.status;
  if (unit.function) {
    card.append(element("h2", null, `${unit.function} (line ${unit.line})`));
  }
  if (unit.status === "not implemented") {
    card.append(element("p", "note", "not implemented: the template is still there"));
    return card;
  }
  if (unit.status === "not read") {
    card.append(element("p", "note", `not read: ${unit.message}`));
    return card;
  }
  if (unit.meaning) card.append(element("p", "meaning", `gradients of ${unit.meaning}`));
  (unit.warnings || []).forEach((w) => card.append(element("p", "warning", `warning: ${w}`)));
  (unit.report.notes || []).forEach((n) => card.append(element("p", "note", `note: ${n}`)));
  unit.report.verdicts.forEach((verdict) => card.append(verdictCard(verdict)));
  return card;
}

function verdictCard(v) {
  const card = element("div", `verdict verdict-${v.verdict}`);
  card.dataset.verdict = v.verdict;
  if (v.line !== null) card.dataset.line = v.line;
  const head = element("div", "verdict-head");
  head.append(element("span", "badge", v.verdict.toUpperCase()));
  const where = v.line !== null ? `line ${v.line}: ` : "";
  head.append(element("span", null, `${where}${v.name} as ${v.claim}`));
  card.append(head);
  if (v.line !== null) card.addEventListener("click", () => editor.focusLine(v.line));
  card.append(element("pre", "formula", v.formula));
  if (v.value) card.append(element("p", null, `${v.verdict === "correct" ? "value" : "the true value"}: ${v.value}`));
  if (v.note) card.append(element("p", "note", `note: ${v.note}`));
  if (v.follows) {
    card.append(element("p", "follows", followsMessage(v.follows)));
  } else if (v.verdict === "correct") {
    card.append(element("p", "proof", v.proof));
  } else {
    wrongDetails(v).forEach((node) => card.append(node));
  }
  if (v.derivation && v.derivation.length) card.append(derivationDetails(v.derivation));
  return card;
}

// How the correct value comes about: the chain rule from the loss down, one step a line,
// typeset by the vendored KaTeX when the reader opens it.
function derivationDetails(steps) {
  const details = element("details", "derivation");
  details.append(element("summary", null, "how the correct value is derived"));
  details.addEventListener("toggle", () => {
    if (!details.open || details.dataset.rendered) return;
    details.dataset.rendered = "yes";
    steps.forEach((step) => {
      const line = element("div", "derivation-step");
      katex.render(step, line, { displayMode: true, throwOnError: false });
      details.append(line);
    });
  });
  return details;
}

function followsMessage(f) {
  if (f.via_line === f.line) return `follows line ${f.line}: computed correctly from the wrong ${f.via}`;
  return `follows line ${f.line}: computed correctly from ${f.via} (line ${f.via_line}), itself computed from the mistake at line ${f.line}`;
}

function wrongDetails(v) {
  const nodes = [];
  if (v.diagnosis) nodes.push(element("p", "diagnosis", `diagnosis: ${v.diagnosis.message}`));
  if (v.counterexample) {
    const c = v.counterexample;
    nodes.push(element("pre", "counterexample", `counterexample: at ${c.where}\n  expected ${c.expected}\n  got      ${c.got}`));
  }
  nodes.push(correctionDiff(v));
  return nodes;
}

// The line as written and as corrected, as a diff in the code's own indentation.
function correctionDiff(v) {
  const joiner = v.name.includes(" ") ? ": " : " = ";
  const written = v.line !== null ? editor.lineText(v.line) : v.formula;
  const indent = written.match(/^\s*/)[0];
  const diff = element("pre", "diff");
  diff.append(element("span", "removed", `- ${written.trimEnd()}\n`));
  diff.append(element("span", "added", `+ ${indent}${v.name}${joiner}${v.correct_formula}`));
  return diff;
}

function markLines(units) {
  const verdicts = units.flatMap((u) => (u.report ? u.report.verdicts : []));
  const wrong = verdicts.filter((v) => v.verdict === "wrong" && v.line !== null);
  verdicts.filter((v) => v.follows && v.line !== null).forEach((v) => editor.mark(v.line, "follows"));
  wrong.forEach((v) => editor.mark(v.line, "wrong"));
  if (wrong.length) {
    const first = Math.min(...wrong.map((v) => v.line));
    editor.mark(first, "first-wrong");
    editor.focusLine(first);
  }
}

let uploadedName = null;
$("upload").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  editor.setValue(await file.text());
  uploadedName = /^[\w-][\w.-]{0,99}\.py$/.test(file.name) ? file.name : null;
});
$("check").addEventListener("click", runCheck);

// -- derive / explain ---------------------------------------------------------------------------
let explained = null;  // the last explanation and the request that made it

function modelRequest() {
  const source = $("source").value;
  if (source === "example") return {example: $("example").value};
  if (source === "spec") return {spec: $("model-text").value};
  const request = {code: $("model-text").value};
  const name = $("forward-function").value.trim();
  if (name) request.function = name;
  return request;
}

async function runExplain() {
  const button = $("explain");
  button.disabled = true;
  setStatus("explain-status", "deriving...", "working");
  const request = modelRequest();
  const {ok, data} = await post("/api/explain", request);
  button.disabled = false;
  if (!ok) {
    setStatus("explain-status", data.error, "error");
    return;
  }
  explained = {request, data};
  setStatus("explain-status", `explained ${data.model}`, "correct");
  const frame = $("explanation");
  frame.hidden = false;
  frame.srcdoc = data.html;
  $("downloads").hidden = false;
}

function download(filename, text, type) {
  const link = element("a");
  link.href = URL.createObjectURL(new Blob([text], {type}));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

const FORMATS = {
  tex: ["latex", "text/x-tex"],
  md: ["markdown", "text/markdown"],
  html: ["html", "text/html"],
};
document.querySelectorAll("#downloads [data-format]").forEach((button) => {
  button.addEventListener("click", () => {
    const [field, type] = FORMATS[button.dataset.format];
    download(`${explained.data.filename}.${button.dataset.format}`, explained.data[field], type);
  });
});

// A file the server makes on demand: the generated module, or the PDF.
async function downloadMade(path, working, save) {
  setStatus("explain-status", working, "working");
  const {ok, data} = await post(path, explained.request);
  if (!ok) {
    setStatus("explain-status", data.error, "error");
    return;
  }
  setStatus("explain-status", `made ${data.filename}`, "correct");
  save(data);
}

$("download-module").addEventListener("click", () => downloadMade(
  "/api/generate", "generating the module...",
  (data) => download(data.filename, data.module, "text/x-python"),
));
$("download-pdf").addEventListener("click", () => downloadMade(
  "/api/pdf", "typesetting the PDF...",
  (data) => download(data.filename, Uint8Array.from(atob(data.pdf), (c) => c.charCodeAt(0)), "application/pdf"),
));

// What the model box starts with for each kind of model; the user's own text is kept.
const STARTERS = {
  spec: $("model-text").value,
  code: `import numpy as np

w1, w2 = 0.5, -0.3


def net(x, y, t):
    h = np.tanh(w1 * x + w2 * y)
    loss = 0.5 * (h - t) ** 2
    return loss
`,
};

$("source").addEventListener("change", () => {
  const source = $("source").value;
  $("example").hidden = source !== "example";
  $("model-text").hidden = source === "example";
  $("forward-label").hidden = source !== "code";
  const text = $("model-text").value.trim();
  if (source in STARTERS && (!text || Object.values(STARTERS).some((s) => s.trim() === text))) {
    $("model-text").value = STARTERS[source];
    if (source === "code" && !$("forward-function").value) $("forward-function").value = "net";
  }
});
$("explain").addEventListener("click", runExplain);

async function loadExamples() {
  const response = await fetch("/api/examples");
  const {examples} = await response.json();
  examples.forEach((e) => {
    for (const select of [$("example"), $("against")]) {
      const option = element("option", null, `${e.name}: ${e.summary}`);
      option.value = e.name;
      select.append(option);
    }
  });
}

$("against").addEventListener("change", () => {
  const formulas = Boolean($("against").value);
  $("function-label").hidden = formulas;
  $("aliases-label").hidden = !formulas;
});

// -- tabs -----------------------------------------------------------------------------------------
document.querySelectorAll('[role="tab"]').forEach((tab) => {
  tab.addEventListener("click", () => {
    document.querySelectorAll('[role="tab"]').forEach((other) => {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      $(other.getAttribute("aria-controls")).hidden = !chosen;
    });
    if (tab.id === "tab-check" && editor.cm) editor.cm.refresh();
  });
});

loadExamples().then(() => { document.body.dataset.ready = "yes"; });
