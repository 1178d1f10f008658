// radbank serve: upload, show probabilities, heatmap overlay with an opacity slider, de-identified header.
"use strict";
const $ = (id) => document.getElementById(id);
const pct = (v) => (100 * v).toFixed(1) + "%";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function opacity() { return Number($("opacity").value) / 100; }

function renderResult(r, label) {
  if (r.error) {
    return el("div", { class: "result error", "data-testid": "error" }, `${label}: ${r.error}`);
  }
  const heat = el("img", { class: "heatmap", alt: "Grad-CAM heatmap", src: r.heatmap_png });
  heat.style.opacity = opacity();
  const viewer = el("div", { class: "viewer" }, el("img", { alt: "uploaded image", src: r.image_png }), heat);
  const probs = el("div", { class: "probs" });
  for (const [name, p] of Object.entries(r.probabilities)) {
    const fill = el("div", { class: "fill" }); fill.style.width = pct(p);
    const mark = el("div", { class: "threshold", title: "threshold " + r.threshold });
    mark.style.left = pct(r.threshold);
    probs.append(el("div", { class: "prob", "data-testid": "probability" },
      `${name}: ${pct(p)} (threshold ${pct(r.threshold)})`, el("div", { class: "bar" }, fill, mark)));
  }
  const details = el("div", { class: "details" }, el("div", { class: "name" }, label),
    el("div", { class: "predicted", "data-testid": "predicted" }, "Model's class: " + r.predicted), probs,
    el("div", { class: "note" }, `Heatmap: where the model looked for ${r.explained}.`));
  if (r.header) {
    const table = el("table", { "data-testid": "header" }, el("tr", {}, el("th", { colspan: 2 }, "DICOM header (de-identified)")));
    for (const [k, v] of Object.entries(r.header)) table.append(el("tr", {}, el("td", {}, k), el("td", {}, v)));
    details.append(table);
  }
  return el("div", { class: "result", "data-testid": "result" }, viewer, details);
}

async function upload(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f);
  $("status").textContent = `Analysing ${files.length} image(s)…`;
  let body;
  try {
    const resp = await fetch("/api/predict", { method: "POST", body: form });
    body = await resp.json();
    if (!resp.ok && !body.results) throw new Error(body.error || resp.statusText);
  } catch (err) {
    $("status").textContent = "";
    $("results").prepend(el("div", { class: "result error", "data-testid": "error" }, "Upload failed: " + err.message));
    return;
  }
  $("status").textContent = "";
  const results = body.results || [];
  results.slice().reverse().forEach((r) => $("results").prepend(renderResult(r, files[r.index].name)));
}

async function loadCard() {
  try {
    const c = await (await fetch("/api/model")).json();
    const rows = [["Model", `${c.model} (${c.parameters.toLocaleString()} parameters), ${c.task}`],
      ["Classes", c.classes.join(", ")],
      ["Training data", `${c.training_data.images} images of ${c.training_data.patients} patients (${c.training_data.source}), ${c.training_data.epochs} epochs`],
      ["Evaluated on", `${c.validation_images} ${c.evaluated_on} images`], ["Date", c.date]];
    for (const [k, m] of Object.entries(c.metrics)) {
      rows.push([k, `${m.value.toFixed(3)} (95% CI ${m.ci95[0].toFixed(3)}–${m.ci95[1].toFixed(3)})`]);
    }
    const table = el("table", { "data-testid": "card" });
    for (const [k, v] of rows) table.append(el("tr", {}, el("th", {}, k), el("td", {}, v ?? "n/a")));
    $("card-body").replaceChildren(table, el("p", { class: "note" }, "Intended use: " + c.intended_use));
  } catch (err) {
    $("card-body").textContent = "model card unavailable: " + err.message;
  }
}

$("files").addEventListener("change", (e) => upload([...e.target.files]));
$("opacity").addEventListener("input", () => {
  $("opacity-value").textContent = $("opacity").value + "%";
  document.querySelectorAll("img.heatmap").forEach((img) => { img.style.opacity = opacity(); });
});
const drop = $("drop");
["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => upload([...e.dataTransfer.files]));
loadCard();
