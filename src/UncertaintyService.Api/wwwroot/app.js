// The page: adapters, their calibration tables and reliability diagrams, and a form that asks the API.
// Plain DOM and fetch, no build step; every number comes from the service's own JSON routes.
const $ = (id) => document.getElementById(id);
const f3 = (x) => (x === null || x === undefined) ? "" : Number(x).toFixed(3);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === "class" ? node.className = v : node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
};

async function json(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || body.title || response.statusText);
  return body;
}

async function start() {
  const adapters = await json("/v1/adapters");
  const list = $("adapters");
  list.replaceChildren();
  for (const a of adapters) {
    const button = el("button", { "data-adapter": a.id }, `${a.id} (${a.kind})`, el("span", { class: "methods" }, a.methods.join(", ")));
    button.addEventListener("click", () => show(a.id));
    list.append(el("li", {}, button));
  }
  if (adapters.length) show(adapters[0].id);
}

async function show(id) {
  document.querySelectorAll("#adapters button").forEach((b) => b.classList.toggle("selected", b.dataset.adapter === id));
  const a = await json(`/v1/adapters/${encodeURIComponent(id)}`);
  $("adapter").hidden = false;
  $("adapter-title").textContent = a.id;
  $("adapter-about").textContent = `${a.kind} adapter on ${a.base}; methods ${a.methods.join(", ")}; default ${a.default_method}`;
  renderCalibration(a);
  renderForm(a);
}

function renderCalibration(a) {
  const table = $("calibration");
  const splits = a.calibration ? a.calibration.splits : {};
  table.replaceChildren(el("tr", {}, ...["split", "method", "acc", "ECE", "NLL", "Brier", "n"].map((h) => el("th", {}, h))));
  for (const [split, methods] of Object.entries(splits)) {
    const best = Math.min(...Object.values(methods).map((m) => m.nll));
    for (const [method, m] of Object.entries(methods)) {
      table.append(el("tr", {}, el("td", {}, split), el("td", {}, method), el("td", {}, f3(m.acc)), el("td", {}, f3(m.ece)),
        el("td", m.nll === best ? { class: "best" } : {}, f3(m.nll)), el("td", {}, f3(m.brier)), el("td", {}, String(m.n))));
    }
  }
  const select = $("split");
  select.replaceChildren(...Object.keys(splits).map((s) => el("option", { value: s }, s)));
  select.value = splits.test ? "test" : Object.keys(splits)[0] || "";
  const show = () => select.value === "live"
    ? renderDiagrams(a.id, Object.fromEntries(a.methods.map((m) => [m, {}])), "live")
    : renderDiagrams(a.id, splits[select.value] || {}, select.value);
  select.onchange = show;
  show();
  // With the outcome store on, "live" draws the outcomes reported so far over the test split's bars.
  fetch(`/v1/adapters/${encodeURIComponent(a.id)}/calibration/live`).then((r) => {
    if (r.ok && $("adapter-title").textContent === a.id) select.append(el("option", { value: "live" }, "live (over test)"));
  });
}

function renderDiagrams(id, methods, split) {
  $("diagrams").replaceChildren(...Object.keys(methods).map((method) =>
    el("img", { src: `/v1/adapters/${encodeURIComponent(id)}/reliability/${split}/${method}.svg`, alt: `reliability ${split} ${method}`, class: "diagram" })));
}

function renderForm(a) {
  const fields = $("fields");
  const reward = a.kind === "reward";
  const names = reward ? ["prompt", "response"] : (a.template_fields && a.template_fields.length ? a.template_fields : ["prompt"]);
  fields.replaceChildren(...names.map((n) => el("label", {}, n, n === "prompt" && !reward ? el("textarea", { name: n, rows: "4" }) : el("input", { name: n }))));
  $("method").replaceChildren(...a.methods.map((m) => el("option", { value: m }, m)));
  $("method").value = a.default_method;
  $("ask").onsubmit = async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(names.map((n) => [n, fields.querySelector(`[name=${n}]`).value]));
    const method = $("method").value;
    const answer = $("answer");
    answer.replaceChildren(el("p", { class: "muted" }, "asking…"));
    try {
      if (reward) {
        const r = await json("/v1/reward", post({ adapter: a.id, method, items: [{ prompt: values.prompt, response: values.response }] }));
        renderReward(r.items[0], r.metadata);
      } else {
        const body = names.length === 1 && names[0] === "prompt"
          ? { adapter: a.id, method, prompts: [values.prompt] }
          : { adapter: a.id, method, inputs: [values] };
        const r = await json("/v1/classify", post(body));
        renderClassification(r.results[0], r.metadata);
      }
    } catch (error) {
      answer.replaceChildren(el("p", { class: "error" }, String(error.message)));
    }
  };
}

const post = (body) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

function renderClassification(r, meta) {
  const p = r.probabilities;
  const bars = el("div", { class: "bars", id: "prediction" });
  r.labels.forEach((label, i) => {
    const mean = p.sampled_mean[i], std = p.sampled_std[i];
    const track = el("div", { class: "track" },
      el("div", { class: "bar", style: `width:${100 * mean}%` }),
      el("div", { class: "spread", style: `left:${100 * Math.max(0, mean - std)}%;width:${100 * (Math.min(1, mean + std) - Math.max(0, mean - std))}%` }),
      el("div", { class: "map", style: `left:${100 * p.map[i]}%`, title: `MAP ${f3(p.map[i])}` }));
    bars.append(el("span", {}, label), track, el("span", {}, `${f3(mean)} ± ${f3(std)}`));
  });
  const u = r.uncertainty;
  const total = Math.max(u.total_entropy, 1e-9);
  const split = el("div", { class: "split", title: `aleatoric ${f3(u.aleatoric)}, epistemic ${f3(u.epistemic)} nats` },
    el("div", { class: "aleatoric", style: `width:${100 * u.aleatoric / total}%` }), el("div", { class: "epistemic", style: `width:${100 * u.epistemic / total}%` }));
  const children = [el("p", {}, `prediction `, el("strong", {}, r.prediction), ` with confidence ${f3(r.confidence)} (${meta.method}, ${meta.samples} samples); `
      + `bars: mean probability, red: ± one standard deviation over samples, black tick: MAP`), bars,
    el("p", {}, `entropy ${f3(u.total_entropy)} nats = aleatoric ${f3(u.aleatoric)} + epistemic ${f3(u.epistemic)}`), split];
  if (r.logit_covariance) children.push(el("p", {}, "logit covariance"), heatmap(r.labels, r.logit_covariance));
  $("answer").replaceChildren(...children);
}

function heatmap(labels, matrix) {
  const n = labels.length;
  const most = Math.max(...matrix.flat().map(Math.abs), 1e-12);
  const grid = el("div", { class: "heat", style: `grid-template-columns: repeat(${n}, auto)` });
  for (const row of matrix) for (const value of row) {
    const t = value / most;
    const color = t >= 0 ? `rgba(59,111,182,${Math.abs(t)})` : `rgba(208,67,43,${Math.abs(t)})`;
    grid.append(el("div", { style: `background:${color}`, title: String(value) }, value.toFixed(2)));
  }
  return grid;
}

function renderReward(item, meta) {
  const std = Math.sqrt(item.reward_variance);
  $("answer").replaceChildren(el("div", { id: "prediction" },
    el("p", {}, `reward `, el("strong", {}, f3(item.reward_mean)), ` ± ${f3(std)} (${meta.method}); score under risk "${meta.risk}": ${f3(item.score)}`)));
}

start().catch((error) => { $("adapters").replaceChildren(el("li", { class: "error" }, String(error.message))); });
