// The status page's buttons. Each POSTs to its action with the header that tells the gateway the
// request comes from this page (a form on another site cannot send it), then reloads the page.
document.addEventListener("click", async (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (!button) return;
  const out = button.parentElement.querySelector("output");
  button.disabled = true;
  if (out) out.textContent = "working…";
  try {
    // location.origin, not a relative URL: a page opened as http://user:key@host/ would pass
    // its credentials into the URL, which fetch refuses.
    const resp = await fetch(location.origin + button.dataset.action, {
      method: "POST", credentials: "same-origin", headers: {"X-Feedgate-Admin": "1"},
    });
    if (resp.ok) {
      location.reload();
      return;
    }
    let msg = resp.status + " " + resp.statusText;
    try {
      const body = await resp.json();
      if (body.error && body.error.message) msg = body.error.message;
    } catch (e) { /* not JSON: keep the status */ }
    if (out) out.textContent = msg;
  } catch (e) {
    if (out) out.textContent = String(e);
  }
  button.disabled = false;
});
