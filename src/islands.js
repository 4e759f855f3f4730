// Loads the wasm and hydrates the page's islands: each `<leptos-island data-component>` is the
// module's export of that name, as Leptos' own island script finds them. The files are the ones
// the page preloads (content-hashed names), so this script is the same on every page and build.
// `enhance.js` calls `__hydrateIslands` for a page it swaps in, and reloads a page whose islands
// are another build's (`__islands` names the module loaded here).
const js = document.querySelector("link[rel=modulepreload]").getAttribute("href");
const wasm = document.querySelector("link[rel=preload][as=fetch]").getAttribute("href");
window.__islands = js;
const app = await import(js);
await app.default({ module_or_path: wasm });
app.hydrate();
const hydrate = (root) => {
  for (const el of root.querySelectorAll("leptos-island")) {
    if (el.hydrated) continue;
    el.hydrated = true;
    const island = app[el.dataset.component];
    if (island) island(el);
    else console.warn(`${js} has no island ${el.dataset.component}`);
  }
};
hydrate(document.body);
window.__hydrateIslands = hydrate;
document.body.dataset.hydrated = "true";
