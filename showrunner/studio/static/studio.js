// Showrunner Studio: posts actions with the token header, polls progress, updates the page in place.
// Hand-written on purpose: no build step, nothing downloaded at install time (see showrunner/studio/app.py).
"use strict";
(function () {
  const token = document.querySelector('meta[name="studio-token"]').content;
  if (location.search.includes("token=")) {  // the cookie holds it now: keep it out of history and screenshots
    history.replaceState(null, "", location.pathname);
  }
  const flash = (text, ok) => {
    const el = document.getElementById("flash");
    el.textContent = text; el.hidden = !text; el.className = ok ? "ok" : "error";
  };
  async function post(url, body, type) {
    const res = await fetch(url, {method: "POST", body: body, credentials: "same-origin",
                                  headers: {"X-Studio-Token": token, "Content-Type": type || "application/json"}});
    let data = {};
    try { data = await res.json(); } catch (e) { data = {error: res.status + " " + res.statusText}; }
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }
  async function freshDocument() {
    const res = await fetch(location.pathname, {credentials: "same-origin"});
    return new DOMParser().parseFromString(await res.text(), "text/html");
  }
  async function refresh(panel) {  // one panel (a shot changed) or the whole main area (the gate moved on)
    const doc = await freshDocument();
    if (panel) {
      const mine = document.getElementById("panel-" + panel), theirs = doc.getElementById("panel-" + panel);
      if (mine && theirs) { mine.replaceWith(theirs); }
      const cut = document.getElementById("cut"), newCut = doc.getElementById("cut");
      if (cut && newCut && cut.getAttribute("src") !== newCut.getAttribute("src")) cut.replaceWith(newCut);
      return;
    }
    const main = document.getElementById("main"), next = doc.getElementById("main");
    for (const a of ["data-gate", "data-episode", "data-round"]) main.setAttribute(a, next.getAttribute(a));
    main.innerHTML = next.innerHTML;
  }
  function showProgress(job) {
    const box = document.getElementById("progress");
    box.hidden = !job || !job.running;
    if (!job) return;
    document.getElementById("progress-label").textContent = job.label;
    const bar = document.getElementById("progress-bar");
    bar.max = Math.max(1, job.frames_total); bar.value = job.frames_done;
    document.getElementById("progress-text").textContent =
      `${job.node || "starting"} · ${job.tokens} tokens · frames ${job.frames_done}/${job.frames_total} · ${job.seconds}s`;
  }
  async function follow(panel) {  // poll the background job until it ends, then update the page
    document.body.classList.add("busy");
    for (;;) {
      const res = await fetch("/api/progress", {credentials: "same-origin"});
      const job = (await res.json()).job;
      showProgress(job);
      if (!job || !job.running) {
        document.body.classList.remove("busy");
        if (job && job.error) { flash(job.error, false); } else { flash("", true); }
        await refresh(panel);
        return;
      }
      await new Promise(r => setTimeout(r, 500));
    }
  }
  document.addEventListener("submit", async (ev) => {
    const form = ev.target.closest("form.act");
    if (!form) return;
    ev.preventDefault();
    const body = Object.fromEntries(new FormData(form).entries());
    try {
      const data = await post(form.dataset.url, JSON.stringify(body));
      const panel = (data.panel && data.panel.shot) || form.dataset.panel || null;
      if (data.job) { await follow(panel); } else { flash("", true); await refresh(panel); }
    } catch (e) { flash(e.message, false); }
  });
  document.addEventListener("change", async (ev) => {
    const input = ev.target;
    if (!input.classList || !input.classList.contains("replace-file") || !input.files.length) return;
    const form = input.closest("form.upload"), file = input.files[0];
    try {
      await post(form.dataset.url, file, file.type || "application/octet-stream");
      flash("", true);
      await refresh(form.dataset.panel);
    } catch (e) { flash(e.message, false); }
  });
  fetch("/api/progress", {credentials: "same-origin"}).then(r => r.json()).then(d => {
    if (d.job && d.job.running) follow(null);
  });
})();
