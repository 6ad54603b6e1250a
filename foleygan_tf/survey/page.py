"""The participant's page: one HTML document with its CSS and JavaScript (no external resources).

It fetches the study's texts (``GET /api/study``) and shows, in turn:

1. the intro and consent text with an "I agree" box and a start button (``POST /api/participants``
   creates an anonymous participant; the browser keeps its id and secret token in
   ``localStorage``, so a reload resumes where it stopped);
2. one clip per page: "Clip n of N" and a progress bar, the video without native controls, a play
   button (playback starts on a click, as browsers' autoplay rules require), and the two 1–10
   questions, which open only once the clip has played to its end (``POST …/plays``); "Save and
   continue" sends the answer (``POST …/answers``) and the next clip is shown only when the server
   replies that the answer is committed — on a failure the page stays and says so;
3. the thank-you text.

Every text comes from the manifest and is inserted as text (``textContent``), never as HTML.
Element ids used by the browser tests: ``consent``, ``start``, ``progress-text``, ``video``,
``play``, ``questions``, ``q-<question>-<rating>``, ``submit``, ``status``, ``thanks``.
"""

PAGE_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Listening test</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f4f2; color: #1d1d1d; }
  main { max-width: 760px; margin: 0 auto; padding: 1.2rem 1.4rem 2rem; background: #fff; min-height: 100vh; }
  h1 { font-size: 1.35rem; margin: 0.2rem 0 1rem; }
  p { line-height: 1.45; }
  .consent { background: #f0f3f7; border-left: 4px solid #5a7fa8; padding: 0.6rem 0.9rem; }
  button { font-size: 1rem; padding: 0.5rem 1.1rem; border-radius: 6px; border: 1px solid #375a7f;
           background: #375a7f; color: #fff; cursor: pointer; }
  button:disabled { background: #b9c3cc; border-color: #b9c3cc; cursor: not-allowed; }
  .progress { display: flex; align-items: center; gap: 0.8rem; margin-bottom: 0.8rem; }
  .progress progress { flex: 1; height: 0.8rem; }
  video { width: 100%; max-height: 420px; background: #000; display: block; border-radius: 4px; }
  .player { display: flex; align-items: center; gap: 0.8rem; margin: 0.7rem 0 1rem; }
  .hint { color: #555; font-size: 0.92rem; }
  fieldset { border: 0; padding: 0; margin: 0; }
  fieldset:disabled .question { opacity: 0.45; }
  .question { margin: 0 0 1.1rem; }
  .question p { margin: 0 0 0.4rem; font-weight: 600; }
  .scale { display: flex; align-items: center; gap: 0.25rem; flex-wrap: wrap; }
  .scale label { display: flex; flex-direction: column; align-items: center; font-size: 0.85rem; min-width: 2.1rem; }
  .anchor { font-size: 0.8rem; color: #555; width: 5.5rem; }
  .anchor.high { text-align: left; }
  .anchor.low { text-align: right; }
  #status { min-height: 1.3rem; color: #8a1c1c; }
</style>
</head>
<body>
<main>
  <h1 id="title"></h1>
  <section id="intro" hidden>
    <p id="intro-text"></p>
    <div id="consent-text" class="consent"></div>
    <p><label><input type="checkbox" id="consent"> <span id="consent-label"></span></label></p>
    <button id="start" disabled></button>
  </section>
  <section id="trial" hidden>
    <div class="progress"><span id="progress-text"></span><progress id="progress-bar" max="1" value="0"></progress></div>
    <video id="video" playsinline preload="auto"></video>
    <div class="player"><button id="play"></button><span id="play-hint" class="hint"></span></div>
    <fieldset id="questions" disabled></fieldset>
    <button id="submit" disabled></button>
  </section>
  <section id="done" hidden><p id="thanks"></p></section>
  <p id="status" role="status"></p>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let study = null, session = null, state = null, playRecorded = false, storageKey = null;

async function api(method, url, body) {
  const headers = {"Content-Type": "application/json"};
  if (session) headers["X-Token"] = session.token;
  const response = await fetch(url, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const err = new Error((data && data.error) || response.statusText);
    err.status = response.status;
    throw err;
  }
  return data;
}

function fill(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

function paragraphs(element, text) {
  element.textContent = "";
  for (const part of String(text).split(/\n\s*\n/)) {
    const p = document.createElement("p");
    p.textContent = part;
    element.appendChild(p);
  }
}

function show(section) {
  for (const id of ["intro", "trial", "done"]) $(id).hidden = id !== section;
}

function buildQuestions(t) {
  const box = $("questions");
  for (const q of t.questions) {
    const div = document.createElement("div");
    div.className = "question";
    const p = document.createElement("p");
    p.textContent = q.text;
    div.appendChild(p);
    const scale = document.createElement("div");
    scale.className = "scale";
    const low = document.createElement("span");
    low.className = "anchor low"; low.textContent = q.low;
    scale.appendChild(low);
    for (let r = 1; r <= 10; r++) {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio"; input.name = q.id; input.value = String(r); input.id = `q-${q.id}-${r}`;
      input.addEventListener("change", updateSubmit);
      label.appendChild(input);
      label.appendChild(document.createTextNode(String(r)));
      scale.appendChild(label);
    }
    const high = document.createElement("span");
    high.className = "anchor high"; high.textContent = q.high;
    scale.appendChild(high);
    div.appendChild(scale);
    box.appendChild(div);
  }
}

function rating(id) {
  const checked = document.querySelector(`input[name="${id}"]:checked`);
  return checked ? Number(checked.value) : null;
}

function updateSubmit() {
  const played = !$("questions").disabled;
  $("submit").disabled = !(played && study.texts.questions.every((q) => rating(q.id) !== null));
}

function render() {
  const t = study.texts;
  $("status").textContent = "";
  if (state.done) { show("done"); return; }
  show("trial");
  $("progress-text").textContent = fill(t.progress, {n: state.position + 1, total: state.total});
  $("progress-bar").max = state.total;
  $("progress-bar").value = state.position;
  const video = $("video");
  const src = `/media/${state.item.id}.mp4`;
  if (video.getAttribute("src") !== src) { video.setAttribute("src", src); video.load(); }
  for (const input of document.querySelectorAll("#questions input")) input.checked = false;
  playRecorded = state.item.played;
  $("questions").disabled = !state.item.played;
  $("play").textContent = state.item.played ? t.replay : t.play;
  $("play").disabled = false;
  updateSubmit();
}

async function recordPlay() {
  await api("POST", `/api/participants/${session.participant}/plays`, {item: state.item.id});
  playRecorded = true;
}

async function start() {
  $("start").disabled = true;
  try {
    const data = await api("POST", "/api/participants", {consent: true});
    session = {participant: data.participant, token: data.token};
    localStorage.setItem(storageKey, JSON.stringify(session));
    state = data.state;
    render();
  } catch (e) {
    $("status").textContent = study.texts.save_failed;
    $("start").disabled = false;
  }
}

async function submit() {
  const t = study.texts;
  $("submit").disabled = true;
  $("status").textContent = t.saving;
  try {
    if (!playRecorded) await recordPlay();
    const answer = {item: state.item.id};
    for (const q of t.questions) answer[q.id] = rating(q.id);
    const data = await api("POST", `/api/participants/${session.participant}/answers`, answer);
    state = data.state;
    render();
  } catch (e) {
    $("status").textContent = t.save_failed;
    updateSubmit();
  }
}

async function init() {
  study = await api("GET", "/api/study");
  const t = study.texts;
  document.title = t.title;
  $("title").textContent = t.title;
  $("intro-text").textContent = fill(t.intro, {count: study.count, minutes: study.minutes});
  paragraphs($("consent-text"), t.consent);
  $("consent-label").textContent = t.consent_checkbox;
  $("start").textContent = t.start;
  $("play-hint").textContent = t.play_hint;
  $("submit").textContent = t.submit;
  paragraphs($("thanks"), t.thanks);
  buildQuestions(t);
  storageKey = `foleygan-survey:${study.study_id}`;
  $("consent").addEventListener("change", () => { $("start").disabled = !$("consent").checked; });
  $("start").addEventListener("click", start);
  $("submit").addEventListener("click", submit);
  $("play").addEventListener("click", () => {
    $("play").disabled = true;
    const video = $("video");
    video.currentTime = 0;
    video.play().catch(() => { $("play").disabled = false; });
  });
  $("video").addEventListener("ended", async () => {
    $("play").disabled = false;
    $("play").textContent = t.replay;
    $("questions").disabled = false;
    updateSubmit();
    try { await recordPlay(); } catch (e) { playRecorded = false; }
  });
  const saved = localStorage.getItem(storageKey);
  if (saved) {
    session = JSON.parse(saved);
    try {
      state = await api("GET", `/api/participants/${session.participant}`);
      render();
      return;
    } catch (e) {
      if (e.status !== 403 && e.status !== 404) { $("status").textContent = t.save_failed; return; }
      localStorage.removeItem(storageKey);
      session = null;
    }
  }
  show("intro");
}

init();
</script>
</body>
</html>
"""
