// Higate's pages work without this script; it only makes them better.
// - data-sse="URL" on an element: listen to that Server-Sent Events stream
//   and apply its "patch" events ([{target, html}]) to elements by id.
// - data-copy="ID" on a button: copy that element's text to the clipboard.
// - data-confirm="Question?" on a form: ask before submitting it.
// - data-autosubmit on a select: submit its form when it changes.
"use strict";
(function () {
  function applyPatches(patches) {
    for (const p of patches) {
      const el = document.getElementById(p.target);
      if (el) el.innerHTML = p.html;
    }
    document.dispatchEvent(new CustomEvent("higate:patched"));
  }

  function listen(el) {
    const es = new EventSource(el.dataset.sse);
    el.dataset.live = "connecting";
    es.addEventListener("open", () => { el.dataset.live = "on"; });
    es.addEventListener("error", () => { el.dataset.live = "reconnecting"; });
    es.addEventListener("patch", (e) => applyPatches(JSON.parse(e.data)));
    es.addEventListener("reload", () => window.location.reload());
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-sse]").forEach(listen);

    document.querySelectorAll("[data-copy]").forEach((btn) => {
      btn.hidden = false;
      btn.addEventListener("click", async () => {
        const src = document.getElementById(btn.dataset.copy);
        if (!src) return;
        try {
          await navigator.clipboard.writeText(src.textContent);
          const was = btn.textContent;
          btn.textContent = "Copied";
          setTimeout(() => { btn.textContent = was; }, 1500);
        } catch (_) { /* clipboard refused: the text is there to select */ }
      });
    });

    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (e) => {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });

    document.querySelectorAll("select[data-autosubmit]").forEach((sel) => {
      sel.addEventListener("change", () => sel.form && sel.form.requestSubmit());
    });
  });
})();
