// Small glue for every page: keyboard shortcuts declared on buttons (data-key="F2"), and a clear message
// when an htmx request is refused. Everything else is server-rendered.
document.addEventListener("keydown", (ev) => {
  if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement ||
      ev.target instanceof HTMLSelectElement) {
    if (ev.key !== "Escape" && !/^F\d+$/.test(ev.key)) return;
  }
  const button = document.querySelector(`[data-key="${CSS.escape(ev.key)}"]:not([disabled])`);
  if (button) {
    ev.preventDefault();
    button.click();
  }
});

// A refusal is shown from whichever of two events reaches the document first. htmx raises responseError on the
// element that sent the request, and a live update (SSE) may have replaced that element while the request was
// under way: the event then never bubbles up to here and the refusal went unsaid. beforeSwap is raised on the
// target, which stays. Pages that react to a refusal listen for "ov:refused".
const refusalsShown = new WeakSet();
function showRefusal(xhr) {
  if (!xhr || refusalsShown.has(xhr)) return;
  refusalsShown.add(xhr);
  const box = document.getElementById("flash");
  if (box) {
    try {
      const body = JSON.parse(xhr.responseText);
      const lang = document.documentElement.lang === "en" ? "message" : "message_zh";
      box.textContent = body.error[lang] || body.error.message;
    } catch {
      box.textContent = xhr.statusText;
    }
    box.hidden = false;
  }
  document.dispatchEvent(new CustomEvent("ov:refused", { detail: { xhr } }));
}
document.addEventListener("htmx:beforeSwap", (ev) => { if (ev.detail.isError) showRefusal(ev.detail.xhr); });
document.addEventListener("htmx:responseError", (ev) => showRefusal(ev.detail.xhr));
