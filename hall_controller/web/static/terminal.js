// The window terminal's own glue (views_terminal.py): running timers, the transfer / pause / park dialogs,
// and the live stream's state. Keyboard shortcuts come from app.js (data-key on the buttons).
(() => {
  let offset = 0; // server clock minus this browser's clock, from the panel's data-now

  const panel = () => document.querySelector("#terminal .panel");

  function fmt(total) {
    const s = Math.max(0, Math.floor(total));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? `${h}:` : "") + `${mm}:${String(r).padStart(2, "0")}`;
  }

  function tick() {
    const now = Date.now() / 1000 + offset;
    for (const el of document.querySelectorAll(".dur[data-since]")) el.textContent = fmt(now - Number(el.dataset.since));
    for (const el of document.querySelectorAll(".dur[data-seconds]")) el.textContent = fmt(Number(el.dataset.seconds));
  }

  function synced() {
    const p = panel();
    if (p) offset = Number(p.dataset.now) - Date.now() / 1000;
    tick();
  }

  function openDialog(id) {
    const dialog = document.getElementById(id);
    const p = panel();
    if (!dialog || !p) return;
    const form = dialog.querySelector("form");
    form.reset();
    form.elements.nonce.value = p.dataset.nonce;
    if (form.elements.ticket_id) form.elements.ticket_id.value = p.dataset.ticket;
    dialog.showModal();
  }

  document.addEventListener("click", (ev) => {
    const opener = ev.target.closest("[data-dialog]");
    if (opener && !opener.disabled) openDialog(opener.dataset.dialog);
    const closer = ev.target.closest("[data-close]");
    if (closer) closer.closest("dialog").close();
  });

  // While a dialog is open, the shortcuts of the buttons behind it must not fire, and Enter confirms it
  // wherever the focus is (a select would otherwise swallow it).
  window.addEventListener("keydown", (ev) => {
    const dialog = document.querySelector("dialog[open]");
    if (!dialog) return;
    if (/^F\d+$/.test(ev.key)) {
      ev.preventDefault();
      ev.stopPropagation();
    } else if (ev.key === "Enter" && ev.target instanceof HTMLSelectElement) {
      ev.preventDefault();
      dialog.querySelector("form").requestSubmit();
    }
  }, true);

  document.addEventListener("htmx:afterRequest", (ev) => {
    const ok = ev.detail.successful;
    const flash = document.getElementById("flash");
    const notice = document.getElementById("notice");
    if (ok && flash) flash.hidden = true;
    if (!ok && notice) notice.textContent = "";
    const dialog = ev.detail.elt.closest && ev.detail.elt.closest("dialog");
    if (ok && dialog) dialog.close();
  });

  // Logged out elsewhere (or the session expired): app.js shows why; then the log-in page.
  document.addEventListener("ov:refused", (ev) => {
    if (ev.detail.xhr.status === 401) setTimeout(() => location.assign("/login?next=/terminal"), 2500);
  });

  document.addEventListener("htmx:afterSwap", synced);
  // The window was left (here: this page's own log-out is already navigating; elsewhere: a manager, another
  // tab): reload, a moment later so that a navigation under way wins.
  document.addEventListener("htmx:sseBeforeMessage", (ev) => {
    if (ev.detail.type === "gone") setTimeout(() => location.reload(), 1000);
  });
  document.addEventListener("htmx:sseOpen", () => { document.getElementById("live-lost").hidden = true; });
  document.addEventListener("htmx:sseError", () => { document.getElementById("live-lost").hidden = false; });

  document.addEventListener("DOMContentLoaded", synced);
  setInterval(tick, 1000);
})();
