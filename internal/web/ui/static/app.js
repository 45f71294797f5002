// Frontdesk's one script: the pages work without it; it only adds
// confirmations to forms that ask for one (data-confirm).
"use strict";
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
