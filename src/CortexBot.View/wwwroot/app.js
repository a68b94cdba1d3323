// CortexBot live view: every telemetry line arrives over the WebSocket as {topic, schema, t_ns, msg}.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { joints: [], commands: [], names: [], updates: 0, lastJointT: 0 };
const WINDOW_S = 10;
const COLORS = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#455a64"];
window.cortexbot = state; // for tests and the curious

function seconds(msg) { return msg.timestamp ? msg.timestamp.sec + msg.timestamp.nsec * 1e-9 : 0; }

function onJoints(msg, into) {
  const t = seconds(msg);
  state.names = msg.joints.map((j) => j.name);
  into.push({ t, q: msg.joints.map((j) => j.position) });
  while (into.length && into[0].t < t - WINDOW_S) into.shift();
  if (into === state.joints) { state.lastJointT = t; state.updates++; }
}

function drawJoints() {
  const c = $("joints"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const all = state.joints.concat(state.commands);
  if (!all.length) return;
  const tEnd = state.lastJointT || all[all.length - 1].t, tStart = tEnd - WINDOW_S;
  let lo = Infinity, hi = -Infinity;
  for (const s of all) for (const v of s.q) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (hi - lo < 1e-3) { hi += 0.5; lo -= 0.5; }
  const x = (t) => ((t - tStart) / WINDOW_S) * (c.width - 10) + 5;
  const y = (v) => c.height - 5 - ((v - lo) / (hi - lo)) * (c.height - 10);
  const series = (samples, dashed) => {
    const n = samples.length ? samples[0].q.length : 0;
    g.setLineDash(dashed ? [4, 3] : []);
    for (let j = 0; j < n; j++) {
      g.strokeStyle = COLORS[j % COLORS.length];
      g.beginPath();
      samples.forEach((s, i) => (i ? g.lineTo(x(s.t), y(s.q[j])) : g.moveTo(x(s.t), y(s.q[j]))));
      g.stroke();
    }
  };
  series(state.joints, false);
  series(state.commands, true);
  g.setLineDash([]);
  $("joints-info").textContent = state.names.map((n, j) => `${n} ${state.joints.length ? state.joints[state.joints.length - 1].q[j].toFixed(3) : ""}`).join("  ·  ");
}

function onCamera(msg) {
  const c = $("camera");
  if (c.width !== msg.width || c.height !== msg.height) { c.width = msg.width; c.height = msg.height; }
  const bin = atob(msg.data), img = c.getContext("2d").createImageData(msg.width, msg.height);
  for (let i = 0, p = 0; i < msg.width * msg.height; i++) {
    const row = Math.floor(i / msg.width), col = i % msg.width, k = row * msg.step + col * 3;
    img.data[p++] = bin.charCodeAt(k); img.data[p++] = bin.charCodeAt(k + 1); img.data[p++] = bin.charCodeAt(k + 2); img.data[p++] = 255;
  }
  c.getContext("2d").putImageData(img, 0, 0);
  $("camera-info").textContent = `${msg.width}x${msg.height} at ${seconds(msg).toFixed(2)} s`;
}

function onPlan(msg) {
  $("plan-task").textContent = `${msg.task} — ${msg.status}`;
  const ol = $("plan");
  ol.replaceChildren(...msg.steps.map((s) => {
    const li = document.createElement("li");
    li.dataset.status = s.status;
    li.innerHTML = `<span class="status ${s.status}">${s.status}</span>`;
    li.append(document.createTextNode(s.skill + (s.duration_s != null ? ` (${s.duration_s.toFixed(2)} s)` : "") + (s.detail ? ` — ${s.detail}` : "")));
    return li;
  }));
}

function onAnomaly(msg) {
  const ul = $("anomalies");
  if (ul.querySelector(".muted")) ul.replaceChildren();
  const li = document.createElement("li");
  li.textContent = `${new Date(seconds(msg) * 1000).toISOString().slice(11, 23)} ${msg.message}`;
  ul.prepend(li);
}

function onControl(msg) {
  $("rate").textContent = `${msg.achieved_hz.toFixed(1)} Hz of ${msg.target_hz} Hz`;
  $("jitter").textContent = `${msg.jitter_p50_us} us / ${msg.jitter_p99_us} us`;
  $("late").textContent = msg.late_ticks;
}

function onEpisode(msg) {
  $("episode").textContent = `${msg.instruction} (seed ${msg.seed}): ${msg.outcome}${msg.failure ? " — " + msg.failure : ""}`;
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onmessage = (e) => {
    const line = JSON.parse(e.data);
    $("link").textContent = "attached"; $("link").className = "badge on";
    switch (line.topic) {
      case "/joint_states": onJoints(line.msg, state.joints); break;
      case "/commands": onJoints(line.msg, state.commands); break;
      case "/camera/image": onCamera(line.msg); break;
      case "/plan": onPlan(line.msg); break;
      case "/anomalies": onAnomaly(line.msg); break;
      case "/control": onControl(line.msg); break;
      case "/safety/clamps": $("clamps").textContent = line.msg.clamped_total; break;
      case "/episode": onEpisode(line.msg); break;
    }
  };
  ws.onclose = () => { $("link").textContent = "not attached"; $("link").className = "badge off"; setTimeout(connect, 1000); };
}

function redraw() { drawJoints(); requestAnimationFrame(redraw); }

async function loadEpisodes(q) {
  const r = await fetch("/api/episodes" + (q ? "?q=" + encodeURIComponent(q) : ""));
  const list = await r.json();
  $("episodes").tBodies[0].replaceChildren(...list.map((e) => {
    const tr = document.createElement("tr");
    tr.dataset.id = e.id;
    for (const v of [e.id, e.instruction, e.seed, e.success ? "succeeded" : "failed: " + (e.failure_reason ?? ""), e.started_at.slice(0, 19)]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    tr.onclick = () => showEpisode(e.id);
    return tr;
  }));
}

async function showEpisode(id) {
  const e = await (await fetch(`/api/episodes/${id}`)).json();
  const d = $("episode-detail");
  d.innerHTML = "";
  const h = document.createElement("h3"); h.textContent = `Episode ${e.id}: ${e.instruction} — ${e.success ? "succeeded" : "failed"}`; d.append(h);
  const ol = document.createElement("ol");
  for (const s of e.steps) { const li = document.createElement("li"); li.textContent = `${s.skill}: ${s.outcome} (${s.duration_s.toFixed(2)} s)${s.detail ? " — " + s.detail : ""}`; ol.append(li); }
  d.append(ol);
  for (const a of e.anomalies) { const p = document.createElement("p"); p.className = "muted"; p.textContent = `${a.kind} at ${a.robot_time_s.toFixed(2)} s: ${a.detail}`; d.append(p); }
  if (e.has_video) { const v = document.createElement("video"); v.controls = true; v.src = `/api/episodes/${id}/video.mp4`; d.append(v); }
}

$("search").onsubmit = (ev) => { ev.preventDefault(); loadEpisodes($("q").value); };
connect();
requestAnimationFrame(redraw);
loadEpisodes("");
