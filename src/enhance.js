// Every page works without JavaScript: forms post, the server answers with a redirect to the
// page that shows the outcome. With JavaScript, this posts those forms (and follows this site's
// links) with fetch and swaps the page the server answers with into this one, so the window,
// its scroll and its focus survive, and each form says it is busy meanwhile. Every page loads
// it (the server serves it: `server::assets::Script`); it needs no wasm, which only a page with
// islands loads.
//
// Written here, not Leptos' islands router (`islands_routing.js`), which diffs the old and new
// pages node by node: a list that grows loses its new rows, and attributes the new page no
// longer has (`disabled`, `aria-invalid`) stay. Replacing <body>'s children is exact.
let navigation = 0;
let shown = location.pathname + location.search;

const sameSite = (url) => url.origin === location.origin;
const HEALTH = "__HEALTH__"; // the server's liveness path, filled in by `server::assets`
const UNREACHABLE = "We couldn't reach the server. Please try again in a moment.";

// `push`: a new history entry (a link, a form's outcome), or the one we are on (Back, Forward).
// `focus`: what had focus when it started (a busy form's buttons lose it).
async function go(request, push, focus, form) {
  const mine = ++navigation;
  let response;
  try {
    // `same-origin`: a redirect off this site fails here and is followed by the browser below.
    response = await fetch(request);
  } catch {
    if (mine !== navigation) return;
    if (!form) return location.assign(request.url);
    // The server down, or an answer that leads off this site (a session that ended, sent to a
    // provider's sign-in page): the browser's own load of this page follows the latter. A
    // form is never posted again: it may have reached the server.
    const up = await fetch(HEALTH, { cache: "no-store" }).then((r) => r.ok, () => false);
    if (mine !== navigation) return;
    return up ? location.assign(location.href) : unreachable(form, focus);
  }
  if (mine !== navigation) return;
  const url = response.url || request.url;
  const html = (response.headers.get("content-type") || "").startsWith("text/html");
  if (!html) return response.redirected || !form ? location.assign(url) : unreachable(form, focus);
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  if (mine !== navigation) return;
  // A page whose islands this window cannot hydrate (none loaded here, or another build's).
  const islands = doc.querySelector("link[rel=modulepreload]");
  if (islands && islands.getAttribute("href") !== window.__islands) return location.assign(url);
  // A post answered with a page of its own (a refusal): shown, but the address stays.
  const moved = !form || response.redirected;
  swap(doc, moved && new URL(url).pathname !== location.pathname, focus);
  if (!moved) return;
  if (push && url !== location.href) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  shown = location.pathname + location.search;
}

function unreachable(form, focus) {
  idle(form);
  refocus(focus);
  let banner = document.getElementById("unreachable");
  if (!banner) {
    banner = document.createElement("p");
    banner.id = "unreachable";
    banner.className = "banner";
    banner.setAttribute("role", "alert");
    document.body.prepend(banner);
  }
  banner.textContent = UNREACHABLE;
}

// What had focus, so that its like on the new page gets it back: the same control of the same
// form of the same row (its `id` field), or an element with the same id.
const rowOf = (form) => {
  const id = form.elements.namedItem("id");
  return id ? id.value : null;
};

function focusKey() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const form = el.form;
  return { id: el.id, action: form && form.action, row: form && rowOf(form), name: el.name, tag: el.tagName };
}

function refocus(key) {
  const target =
    document.querySelector("[autofocus]") ||
    (key && key.id && document.getElementById(key.id)) ||
    (key && key.action && [...document.forms]
      .filter((f) => f.action === key.action && rowOf(f) === key.row)
      .map((f) => [...f.elements].find((e) => e.tagName === key.tag && e.name === key.name))
      .find(Boolean));
  if (target) target.focus();
}

function swap(doc, newPage, focus) {
  document.title = doc.title;
  for (const { name, value } of doc.documentElement.attributes) {
    document.documentElement.setAttribute(name, value);
  }
  document.body.replaceChildren(...doc.body.childNodes);
  if (window.__hydrateIslands) window.__hydrateIslands(document.body);
  if (newPage) window.scrollTo(0, 0);
  refocus(focus);
}

function busy(form, submitter) {
  form.setAttribute("aria-busy", "true");
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  const label = submitter && submitter.dataset.pending;
  if (label) {
    submitter.dataset.label = submitter.textContent;
    submitter.textContent = label;
  }
}

function idle(form) {
  form.removeAttribute("aria-busy");
  for (const button of form.querySelectorAll("button")) {
    button.disabled = false;
    if (button.dataset.label) button.textContent = button.dataset.label;
  }
}

addEventListener("submit", (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
  if ((form.getAttribute("method") || "").toLowerCase() !== "post" || form.target) return;
  if (submitter && ["formmethod", "formtarget"].some((a) => submitter.hasAttribute(a))) return;
  const body = new URLSearchParams(new FormData(form, submitter));
  // The clicked button's value (a todo's new state, the theme chosen), on browsers whose
  // FormData does not take a submitter.
  if (submitter && submitter.name && !body.has(submitter.name)) body.append(submitter.name, submitter.value);
  // A button may post its form elsewhere (a todo's Delete).
  const target = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
  const action = new URL(target, location.href);
  if ("theme" in form.dataset) {
    // The colour scheme changes at once; the server only has to remember it.
    event.preventDefault();
    document.documentElement.dataset.theme = body.get("theme");
    const init = { method: "POST", body, headers: { accept: "text/html" }, redirect: "manual" };
    fetch(action, { ...init, mode: "same-origin" }).catch(() => {});
    return;
  }
  const focus = focusKey();
  if (!sameSite(action) || "reload" in form.dataset) {
    // The browser posts it: busy once it has read the form, or the clicked button, disabled,
    // would not be sent.
    setTimeout(() => busy(form, submitter));
    return;
  }
  busy(form, submitter);
  event.preventDefault();
  const request = new Request(action, { method: "POST", body, headers: { accept: "text/html" }, mode: "same-origin" });
  go(request, true, focus, form);
});

addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element && event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download") || link.relList.contains("external")) return;
  const url = new URL(link.href);
  if (!sameSite(url) || (url.hash && url.pathname + url.search === location.pathname + location.search)) return;
  event.preventDefault();
  go(new Request(url, { headers: { accept: "text/html" }, mode: "same-origin" }), true, focusKey());
});

addEventListener("popstate", () => {
  // Only the #fragment changed: the same page.
  if (location.pathname + location.search === shown) return;
  go(new Request(location.href, { headers: { accept: "text/html" }, mode: "same-origin" }), false, focusKey());
});
