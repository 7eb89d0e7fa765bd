// The lakehouse page: lists datasets and batches, shows a batch's timeline and offers the
// actions its state allows. Every change goes through the API; the page only reads and asks.
"use strict";

const LABELS = {
  append: "Append as batch", check: "Run quality checks", protect: "Apply privacy rules",
  publish: "Publish", quarantine: "Quarantine", consume: "Consume",
  approve: "Approve", run: "Run erasure", verify: "Verify",
};
const ENDPOINTS = { check: "quality", protect: "privacy" };
let selected = null;       // the batch id shown on the right
let lastCheckpoint = null; // read your writes: reads wait for our last command

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function say(text, isError = false) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = isError ? "message error" : "message";
  box.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function describe(body, status) {
  if (Array.isArray(body.detail)) {
    return body.detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return body.detail ? `${body.detail}${body.state ? ` (state: ${body.state})` : ""}` : `HTTP ${status}`;
}

async function call(method, url, body, raw = false) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.body = raw ? body : JSON.stringify(body);
    options.headers["Content-Type"] = raw ? "text/csv" : "application/json";
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(describe(data, response.status));
  if (data.checkpoint) lastCheckpoint = data.checkpoint;
  return data;
}

function read(url) {
  const after = lastCheckpoint ? `${url.includes("?") ? "&" : "?"}after=${lastCheckpoint}` : "";
  return call("GET", url + after);
}

async function act(action, batchId) {
  const path = `/api/batches/${batchId}/${ENDPOINTS[action] || action}`;
  let body;
  if (action === "quarantine") {
    const reason = prompt("Why quarantine this batch?", "suspicious values");
    if (!reason) return;
    body = { reason };
  } else if (action === "consume") {
    const consumer = prompt("Who consumes it?", "analytics");
    if (!consumer) return;
    body = { consumer };
  }
  const batch = await call("POST", path, body);
  say(action === "consume" ? `Download: ${batch.download_url}` : `${LABELS[action]}: ${batch.state}`);
  await refresh();
}

async function erasureStep(action, requestId) {
  let body;
  if (action === "approve") {
    const who = prompt("Approved by (someone other than the requester)", "");
    if (!who) return;
    body = { approved_by: who };
  }
  const erasure = await call("POST", `/api/erasures/${requestId}/${action}`, body);
  say(`Erasure ${requestId}: ${erasure.state}`);
  await refresh();
}

function guarded(work) {
  return (event) => {
    if (event) event.preventDefault();
    work(event).catch((error) => say(error.message, true));
  };
}

function renderDatasets(datasets) {
  const box = document.getElementById("datasets");
  const picker = document.getElementById("upload-dataset");
  const chosen = picker.value;
  box.replaceChildren();
  picker.replaceChildren();
  if (!datasets.length) box.append(el("p", { class: "muted" }, "No dataset yet."));
  for (const dataset of datasets) {
    picker.append(el("option", { value: dataset.name }, dataset.name));
    const personal = dataset.columns.filter((c) => c.personal).map((c) => `${c.name} (${c.treatment})`);
    const card = el("div", { class: "dataset", "data-dataset": dataset.name },
      el("h3", {}, dataset.name),
      el("div", { class: "muted" }, `${dataset.columns.map((c) => `${c.name}:${c.type}`).join(", ")}`),
      el("div", { class: "muted" }, `personal: ${personal.join(", ") || "none"}; contract: ${
        dataset.contract ? `${dataset.contract.owner}, ${dataset.contract.rules.length} rules` : "none"}`));
    for (const batch of dataset.batches) {
      card.append(el("div", {
        class: `batch${batch.batch_id === selected ? " selected" : ""}`,
        "data-batch": batch.batch_id,
        onclick: guarded(async () => { selected = batch.batch_id; await refresh(); }),
      }, `${batch.batch_id} ${batch.file_name || ""}`, el("span", { class: `state ${batch.state}` }, batch.state)));
    }
    box.append(card);
  }
  if (chosen) picker.value = chosen;
}

function renderQuality(batch) {
  const box = document.getElementById("quality");
  box.replaceChildren();
  if (!batch.quality) return;
  const rows = batch.quality.map((r) => el("tr", {},
    el("td", {}, r.rule),
    el("td", { class: r.passed ? "pass" : "fail" }, r.passed ? "passed" : "failed"),
    el("td", {}, r.failed_rows), el("td", {}, r.detail)));
  box.append(el("h3", {}, "Quality results"), el("table", { "data-testid": "quality" },
    el("tr", {}, el("th", {}, "rule"), el("th", {}, "result"), el("th", {}, "rows"), el("th", {}, "detail")),
    ...rows));
}

function renderTimeline(events) {
  document.getElementById("timeline").replaceChildren(...events.map((e) =>
    el("li", { "data-type": e.type }, el("time", {}, new Date(e.at).toLocaleTimeString()), e.summary)));
}

async function renderSelected() {
  const actions = document.getElementById("actions");
  if (!selected) return;
  const batch = await read(`/api/batches/${selected}`);
  document.getElementById("detail-title").textContent =
    `Batch ${batch.batch_id} of ${batch.dataset}: ${batch.state}`;
  actions.replaceChildren(...batch.next_actions.filter((a) => a !== "upload").map((action) =>
    el("button", { "data-action": action, class: action === "quarantine" ? "secondary" : "",
      onclick: guarded(() => act(action, batch.batch_id)) }, LABELS[action])));
  renderQuality(batch);
  renderTimeline(await read(`/api/batches/${selected}/events`));
}

function renderErasures(erasures) {
  document.getElementById("erasures").replaceChildren(...erasures.map((e) => {
    const found = e.found.reduce((sum, f) => sum + f.rows.length, 0);
    return el("div", { class: "dataset", "data-erasure": e.request_id },
      el("div", {}, `${e.request_id}: subject ${e.subject_id} `, el("span", { class: `state ${e.state}` }, e.state)),
      el("div", { class: "muted" }, `dry run found ${found} rows${
        e.keys_erased === undefined ? "" : `; rows removed: ${e.rows_removed}, key erased: ${e.keys_erased}`}${
        e.findings ? `; verification: ${e.clean ? "clean" : e.findings.join("; ")}` : ""}`),
      el("div", { class: "actions" }, ...e.next_actions.map((action) =>
        el("button", { onclick: guarded(() => erasureStep(action, e.request_id)) }, LABELS[action]))));
  }));
}

async function refresh() {
  const [datasets, erasures] = await Promise.all([read("/api/datasets"), read("/api/erasures")]);
  renderDatasets(datasets);
  renderErasures(erasures);
  await renderSelected();
}

async function upload() {
  const dataset = document.getElementById("upload-dataset").value;
  const file = document.getElementById("upload-file").files[0];
  if (!dataset || !file) throw new Error("choose a dataset and a file");
  const ticket = await call("POST", `/api/datasets/${encodeURIComponent(dataset)}/uploads`);
  const safeName = file.name.replace(/[^A-Za-z0-9 _.()-]/g, "_").replace(/^[^A-Za-z0-9]+/, "") || "upload.csv";
  await call("PUT", `${ticket.upload_url}&filename=${encodeURIComponent(safeName)}`, file, true);
  selected = ticket.batch_id;
  say(`Uploaded ${file.name} as ${ticket.batch_id}`);
  await refresh();
}

async function registerDataset(event) {
  const form = new FormData(event.target);
  const columns = String(form.get("columns")).split("\n").map((line) => line.trim()).filter(Boolean)
    .map((line) => {
      const [name, type = "string", personal = "", treatment] = line.split(":");
      const column = { name, type, personal: personal === "personal" };
      if (treatment) column.treatment = treatment;
      return column;
    });
  const subject = String(form.get("subject") || "").trim();
  await call("POST", "/api/datasets", { name: form.get("name"), columns, subject_column: subject || null });
  event.target.reset();
  say("Dataset registered");
  await refresh();
}

async function requestErasure(event) {
  const form = new FormData(event.target);
  const erasure = await call("POST", "/api/erasures",
    { subject_id: form.get("subject_id"), requested_by: form.get("requested_by") });
  say(`Dry run ${erasure.request_id}: ${erasure.found.length} batches hold the subject`);
  await refresh();
}

async function status() {
  const response = await fetch("/readyz");
  const body = await response.json().catch(() => ({}));
  document.getElementById("status").textContent =
    `${body.status || "unknown"} · ${body.backend || ""} · read model ${body.projection || "?"}`;
}

document.getElementById("upload-form").addEventListener("submit", guarded(upload));
document.getElementById("dataset-form").addEventListener("submit", guarded(registerDataset));
document.getElementById("erasure-form").addEventListener("submit", guarded(requestErasure));
guarded(async () => { await status(); await refresh(); })();
setInterval(guarded(refresh), 3000);
