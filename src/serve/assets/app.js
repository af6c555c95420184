// upjobpilot serve: keys on the postings list and on a posting's page. Loaded as a file (the
// Content-Security-Policy allows no inline script); the pages work without it.
//   j / k   next / previous posting          Enter   open it
//   s a i   label it saved / applied / ignored (again: remove the label)
(function () {
  "use strict";
  // Error pages carry no token (anyone can read them); there is nothing to change there.
  const meta = document.querySelector('meta[name="upjobpilot-token"]');
  const token = meta ? meta.content : "";
  const keys = { s: "saved", a: "applied", i: "ignored" };

  function flash(text) {
    const box = document.createElement("div");
    box.className = "flash";
    box.textContent = text;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 1500);
  }

  // Saves a label; a busy database (a sync loading) answers 503: try again shortly.
  async function save(id, label, attempt) {
    const response = await fetch("/api/postings/" + encodeURIComponent(id) + "/label", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Upjobpilot-Token": token },
      body: JSON.stringify({ label: label }),
    });
    if (response.status === 503 && attempt < 20) {
      flash("updating, trying again…");
      await new Promise(function (done) { setTimeout(done, 500); });
      return save(id, label, attempt + 1);
    }
    if (!response.ok) {
      flash("not saved: " + response.status);
      return null;
    }
    return response.json();
  }

  // Replaces the row's label badge, keeping its note mark.
  function showLabel(cell, label) {
    if (!cell) { return; }
    const old = cell.querySelector(".badge");
    if (old) { old.remove(); }
    if (label) {
      const badge = document.createElement("span");
      badge.className = "badge label-" + label;
      badge.textContent = label;
      cell.prepend(badge);
    }
  }

  const rows = Array.from(document.querySelectorAll("table.postings tbody tr"));
  const article = document.querySelector("article.posting");
  let current = rows.length ? 0 : -1;

  function select(index) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) { select(0); }

  document.addEventListener("keydown", async function (event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.closest && target.closest("input, textarea, select")) { return; }
    if (event.key === "j") { select(current + 1); }
    else if (event.key === "k") { select(current - 1); }
    else if (event.key === "Enter" && current >= 0 && rows.length) {
      window.location.href = rows[current].dataset.href;
    } else if (keys[event.key]) {
      const row = rows.length ? rows[current] : null;
      const id = row ? row.dataset.id : article && article.dataset.id;
      if (!id) { return; }
      const cell = row ? row.querySelector("td.label") : null;
      const badge = cell ? cell.querySelector(".badge") : null;
      const had = badge ? badge.textContent.trim() : "";
      const wanted = had === keys[event.key] ? null : keys[event.key];
      const saved = await save(id, wanted, 0);
      if (!saved) { return; }
      flash(saved.label ? "labelled " + saved.label : "label removed");
      showLabel(cell, saved.label);
      if (article) {
        const radio = document.querySelector('input[name="label"][value="' + (saved.label || "") + '"]');
        if (radio) { radio.checked = true; }
      }
    }
  });
})();
