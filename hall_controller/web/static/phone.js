// The phone page's only script besides htmx: say when the live connection is lost, and buzz the phone when
// the ticket is called (silent calling: no loudspeaker, so the phone itself must catch the citizen's eye).
(() => {
  const note = document.getElementById("live-note");
  const setLive = (live) => {
    if (!note) return;
    note.textContent = live ? note.dataset.live : note.dataset.offline;
    note.classList.toggle("offline", !live);
    note.dataset.connected = live ? "yes" : "no";
  };
  document.body.addEventListener("htmx:sseOpen", () => setLive(true));
  document.body.addEventListener("htmx:sseError", () => setLive(false));
  const first = document.querySelector("#status .status");
  let seen = first ? `${first.dataset.stage}:${first.dataset.recall}` : "";
  document.body.addEventListener("htmx:afterSettle", () => {
    const now = document.querySelector("#status .status");
    if (!now) return;
    const key = `${now.dataset.stage}:${now.dataset.recall}`;
    if (key !== seen && (now.dataset.stage === "called" || now.dataset.stage === "recalled") && navigator.vibrate) {
      navigator.vibrate([300, 150, 300, 150, 300]);
    }
    seen = key;
  });
})();
