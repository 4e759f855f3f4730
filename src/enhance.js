// Every page works without JavaScript: forms post, the server answers with a redirect to the
// page that shows the outcome. With JavaScript, this posts those forms (and follows this site's
// links) with fetch and swaps the page the server answers with into this one, so the window,
// its scroll and its focus survive, and each form says it is busy meanwhile. It is inline in
// every page (no wasm needed for it: the sign-in page has none).
//
// Written here, not Leptos' islands router (`islands_routing.js`), which diffs the old and new
// pages node by node: a list that grows loses its new rows, and attributes the new page no
// longer has (`disabled`, `aria-invalid`) stay. Replacing <body>'s children is exact.
let navigation = 0;

const sameSite = (url) => url.origin === location.origin;

async function go(request, form) {
  const mine = ++navigation;
  let response;
  try {
    response = await fetch(request);
  } catch {
    return fallback(request, form);
  }
  if (!(response.headers.get("content-type") || "").startsWith("text/html")) {
    return fallback(request, form);
  }
  const html = await response.text();
  if (mine !== navigation) return;
  const url = response.url || request.url;
  const doc = new DOMParser().parseFromString(html, "text/html");
  // A page with islands, reached from one without: its wasm is not loaded here.
  if (doc.querySelector("leptos-island") && !window.__hydrateIslands) return location.assign(url);
  swap(doc);
  if (url === location.href) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

// The browser's own navigation, for what fetch could not do (offline, an answer that is not a
// page): it shows what it always shows.
function fallback(request, form) {
  if (form) HTMLFormElement.prototype.submit.call(form);
  else location.assign(request.url);
}

function swap(doc) {
  const focused = document.activeElement && document.activeElement.id;
  document.title = doc.title;
  for (const { name, value } of doc.documentElement.attributes) {
    document.documentElement.setAttribute(name, value);
  }
  document.body.replaceChildren(...doc.body.childNodes);
  if (window.__hydrateIslands) window.__hydrateIslands(document.body);
  const focus = document.querySelector("[autofocus]") || (focused && document.getElementById(focused));
  if (focus) focus.focus();
}

addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method !== "post") return;
  const body = new URLSearchParams(new FormData(form));
  form.setAttribute("aria-busy", "true");
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  const label = event.submitter && event.submitter.dataset.pending;
  if (label) event.submitter.textContent = label;
  const action = new URL(form.action, location.href);
  if (!sameSite(action) || "reload" in form.dataset) return;
  event.preventDefault();
  go(new Request(action, { method: "POST", body, headers: { accept: "text/html" } }), form);
});

addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element && event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download") || link.relList.contains("external")) return;
  const url = new URL(link.href);
  if (!sameSite(url) || (url.hash && url.pathname + url.search === location.pathname + location.search)) return;
  event.preventDefault();
  go(new Request(url, { headers: { accept: "text/html" } }));
});

addEventListener("popstate", () => go(new Request(location.href, { headers: { accept: "text/html" } })));
