// Frontdesk's one script: the pages work without it; it only adds
// confirmations to forms that ask for one (data-confirm).
"use strict";
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});

// The calls list stays current: each change to the clinic's calls comes
// as a row rendered by the server; a shown row is replaced, a new call is
// added on top of the first page. EventSource reconnects by itself, from
// the last change it had.
const live = document.querySelector("table[data-live]");
if (live && window.EventSource) {
  const stream = new EventSource(live.dataset.live);
  stream.addEventListener("call", (e) => {
    const call = JSON.parse(e.data);
    const t = document.createElement("template");
    t.innerHTML = call.html.trim();
    const row = t.content.firstElementChild;
    const shown = live.querySelector('tr[data-call="' + call.id + '"]');
    if (shown) {
      shown.replaceWith(row);
    } else if (live.dataset.insert === "all" || live.dataset.insert === call.direction) {
      live.tBodies[0].prepend(row);
      live.hidden = false;
    }
  });
}
