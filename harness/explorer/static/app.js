// The explorer page: builds the weight and input fields from /api/layer, sends what is
// typed to /api/evaluate (the server reads and checks every number), and shows the
// answers.  Everything from the server is set as text (textContent), never as markup.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
let layer = null;
let pending = null;
let counter = 0;
const cards = new Map();

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = String(text);
  return node;
}

async function api(path, body) {
  const options = {headers: {"X-Harness-Token": token}};
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  try {
    return await response.json();
  } catch (error) {
    return {ok: false, message: "The server gave no answer (" + response.status + ")."};
  }
}

function say(text) {
  const box = document.getElementById("message");
  box.textContent = text || "";
  box.hidden = !text;
}

// ------------------------------------------------------------------ fields

function weightField(name, i, value) {
  const cell = el("td", {class: "entry"});
  const field = el("input", {type: "text", class: "number", id: `w-${name}-${i}`,
                             "aria-label": `${name} entry ${i + 1}`});
  field.value = value;
  const slider = el("input", {type: "range", class: "slider", id: `s-${name}-${i}`,
                              min: "-5", max: "5", step: "0.1", "aria-label": `${name} slider`});
  slider.value = Number.isFinite(Number(value)) ? value : "0";
  field.addEventListener("input", () => {
    if (field.value.trim() !== "" && Number.isFinite(Number(field.value))) slider.value = field.value;
    changed();
  });
  slider.addEventListener("input", () => { field.value = slider.value; changed(); });
  cell.append(field, slider);
  return cell;
}

function buildWeights(values) {
  const box = document.getElementById("weights");
  box.replaceChildren();
  for (const weight of layer.weights) {
    const fieldset = el("fieldset", {class: "weight", id: `weight-${weight.name}`});
    fieldset.append(el("legend", {}, `${weight.name} (shape ${weight.shape.join(" x ")})`));
    const table = el("table");
    const head = el("tr");
    head.append(el("th", {}, ""));
    for (const label of weight.labels) head.append(el("th", {}, label));
    table.append(head);
    const given = (values && values[weight.name]) || [];
    for (let r = 0; r < weight.rows; r++) {
      const row = el("tr");
      row.append(el("th", {}, weight.rows > 1 ? String(r) : ""));
      for (let c = 0; c < weight.columns; c++) {
        const i = r * weight.columns + c;
        row.append(weightField(weight.name, i, given[i] !== undefined ? given[i] : "0"));
      }
      table.append(row);
    }
    fieldset.append(table);
    box.append(fieldset);
  }
}

function inputRow(t, values) {
  const row = el("tr", {class: "step"});
  row.append(el("th", {}, String(t + 1)));
  for (let c = 0; c < layer.input.columns; c++) {
    const cell = el("td");
    const field = el("input", {type: "text", class: "number", id: `x-${t}-${c}`,
                               "aria-label": `${layer.input_name} step ${t + 1}`});
    field.value = values && values[c] !== undefined ? values[c] : "0";
    field.addEventListener("input", changed);
    cell.append(field);
    row.append(cell);
  }
  return row;
}

function buildInput(rows) {
  const table = el("table", {id: "input-table"});
  const head = el("tr");
  head.append(el("th", {}, layer.recurrent ? "step" : "row"));
  for (let c = 0; c < layer.input.columns; c++) head.append(el("th", {}, String(c)));
  table.append(head);
  rows.forEach((values, t) => table.append(inputRow(t, values)));
  document.getElementById("input").replaceChildren(table);
  document.getElementById("add-step").hidden = !layer.input.variable;
  document.getElementById("remove-step").hidden = !layer.input.variable;
}

function currentCase() {
  const weights = {};
  for (const weight of layer.weights) {
    const values = [];
    for (let i = 0; i < weight.rows * weight.columns; i++) {
      values.push(document.getElementById(`w-${weight.name}-${i}`).value);
    }
    weights[weight.name] = values;
  }
  const input = [];
  for (const row of document.querySelectorAll("#input-table tr.step")) {
    input.push(Array.from(row.querySelectorAll("input")).map((f) => f.value));
  }
  return {weights, input};
}

function loadCase(found) {
  buildWeights(found.weights);
  buildInput(found.input);
  changed(true);
}

function addStep() {
  const table = document.getElementById("input-table");
  const steps = table.querySelectorAll("tr.step").length;
  if (steps >= layer.limits.steps) {
    say(`The explorer takes at most ${layer.limits.steps} steps.`);
    return;
  }
  table.append(inputRow(steps, null));
  changed(true);
}

function removeStep() {
  const rows = document.querySelectorAll("#input-table tr.step");
  if (rows.length <= 1) {
    say("The input needs at least one step.");
    return;
  }
  rows[rows.length - 1].remove();
  changed(true);
}

// ------------------------------------------------------------------ answers

function changed(now) {
  clearTimeout(pending);
  pending = setTimeout(evaluate, now === true ? 0 : 200);
}

async function evaluate() {
  const sent = currentCase();
  const query = new URLSearchParams({token, case: JSON.stringify(sent)});
  history.replaceState(null, "", "?" + query.toString());
  const mine = ++counter;
  const answer = await api("/api/evaluate", sent);
  if (mine !== counter) return;  // a newer request is on its way
  document.body.dataset.evaluated = String(mine);
  if (!answer.ok) {
    say(answer.message);
    document.body.classList.add("stale");
    return;
  }
  say("");
  document.body.classList.remove("stale");
  showKeras(answer.keras);
  showFailures(answer.failures);
  showHypotheses(answer.hypotheses, answer.keras.rows);
}

function label() { return layer.recurrent ? "step" : "row"; }

function number(value) { return typeof value === "number" ? String(value) : String(value); }

function showKeras(keras) {
  document.getElementById("keras-output").textContent = keras.output;
  const table = el("table", {id: "keras-table"});
  const head = el("tr");
  head.append(el("th", {}, label()), el("th", {}, "Keras"));
  table.append(head);
  keras.rows.forEach((row, t) => {
    const tr = el("tr");
    tr.append(el("th", {}, String(t + 1)), el("td", {class: "keras"}, row.map(number).join(", ")));
    table.append(tr);
  });
  document.getElementById("keras").replaceChildren(table);
}

function showFailures(failures) {
  const box = document.getElementById("failures");
  box.replaceChildren();
  for (const failure of failures) {
    const div = el("div", {class: "failure"});
    div.append(el("p", {}, `${failure.file} could not be imported; its hypotheses are left out until it is fixed (the page reads it again when it changes):`),
               el("pre", {}, failure.message));
    box.append(div);
  }
}

function card(hypothesis) {
  let found = cards.get(hypothesis.key);
  if (found) return found;
  found = el("div", {class: "hypothesis"});
  const title = el("h3");
  const result = el("div", {class: "result"});
  const button = el("button", {type: "button", class: "check"}, "Check");
  const verdict = el("div", {class: "verdict"});
  button.addEventListener("click", () => check(hypothesis.key, verdict, button));
  found.append(title, result, button, verdict);
  cards.set(hypothesis.key, found);
  return found;
}

function showHypotheses(hypotheses, keras) {
  const box = document.getElementById("hypotheses");
  const keys = new Set(hypotheses.map((h) => h.key));
  for (const key of Array.from(cards.keys())) if (!keys.has(key)) cards.delete(key);
  box.replaceChildren();
  if (!hypotheses.length) box.append(el("p", {class: "none"}, "No hypotheses about this layer yet."));
  for (const hypothesis of hypotheses) {
    const div = card(hypothesis);
    div.dataset.name = hypothesis.name;
    div.querySelector("h3").textContent = `${hypothesis.name} (${hypothesis.file}; recorded: ${hypothesis.recorded})`;
    div.querySelector(".result").replaceChildren(...result(hypothesis, keras));
    box.append(div);
  }
}

function result(hypothesis, keras) {
  if (hypothesis.error) return [el("p", {class: "error"}, `It gave no output here: ${hypothesis.error}`)];
  const table = el("table", {class: "side"});
  const head = el("tr");
  head.append(el("th", {}, label()), el("th", {}, "Keras"), el("th", {}, "this hypothesis"));
  table.append(head);
  hypothesis.rows.forEach((row, t) => {
    const tr = el("tr");
    const wrong = hypothesis.disagree[t].some((x) => x);
    tr.append(el("th", {}, String(t + 1)), el("td", {}, keras[t].map(number).join(", ")),
              el("td", {class: wrong ? "mine disagree" : "mine"}, row.map(number).join(", ")));
    table.append(tr);
  });
  const status = hypothesis.agrees
    ? el("p", {class: "agrees"}, "Agrees with Keras on these numbers.")
    : el("p", {class: "disagrees"}, "Disagrees with Keras on these numbers (marked).");
  return [status, table, plot(keras, hypothesis.rows)];
}

function plot(keras, mine) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 260, height = 110, pad = 10;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "plot");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const values = keras.concat(mine).map((row) => row[0]).filter((v) => typeof v === "number");
  const low = Math.min(...values, 0), high = Math.max(...values, 0);
  const span = high - low || 1;
  const x = (t) => pad + (keras.length > 1 ? t * (width - 2 * pad) / (keras.length - 1) : (width - 2 * pad) / 2);
  const y = (v) => height - pad - (v - low) * (height - 2 * pad) / span;
  for (const [rows, kind] of [[keras, "keras"], [mine, "mine"]]) {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("class", kind);
    line.setAttribute("points", rows.map((row, t) => typeof row[0] === "number" ? `${x(t)},${y(row[0])}` : "").join(" "));
    svg.append(line);
  }
  const figure = el("figure");
  const caption = el("figcaption");
  caption.append(el("span", {class: "legend-keras"}, "Keras"), " and ",
                 el("span", {class: "legend-mine"}, "this hypothesis (dashed)"),
                 `, first output, at each ${label()}`);
  figure.append(svg, caption);
  return figure;
}

async function check(key, box, button) {
  button.disabled = true;
  box.replaceChildren(el("p", {}, "Checking…"));
  const answer = await api("/api/check", {key});
  button.disabled = false;
  if (answer.ok === false) {
    box.replaceChildren(el("p", {class: "error"}, answer.message));
    return;
  }
  const parts = [el("p", {class: `headline verdict-${answer.kind}`}, `${answer.headline} (${answer.cases} cases)`)];
  if (answer.details) parts.push(el("pre", {}, answer.details));
  if (answer.counterexample) {
    const load = el("button", {type: "button", class: "load"}, "Load this counterexample into the inputs");
    load.addEventListener("click", () => loadCase(answer.counterexample));
    parts.push(load);
  }
  box.replaceChildren(...parts);
}

// ------------------------------------------------------------------ start

async function start() {
  const answer = await api("/api/layer");
  if (answer.ok === false) {
    say(answer.message);
    return;
  }
  layer = answer;
  document.getElementById("layer-name").textContent = layer.layer;
  document.getElementById("input-title").textContent = `Input (${layer.input_name})`;
  document.getElementById("add-step").addEventListener("click", addStep);
  document.getElementById("remove-step").addEventListener("click", removeStep);
  let given = null;
  try {
    given = params.get("case") ? JSON.parse(params.get("case")) : null;
  } catch (error) {
    say("The address holds a case that is not valid; starting from zeros.");
  }
  const zeros = Array.from({length: layer.input.rows}, () => Array(layer.input.columns).fill("0"));
  const rows = given && Array.isArray(given.input) && given.input.length ? given.input : zeros;
  buildWeights(given && given.weights);
  buildInput(rows);
  document.body.dataset.ready = "1";
  changed(true);
}

start();
