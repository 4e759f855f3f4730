// Loads the wasm and hydrates the page's islands (each `<leptos-island data-component>`,
// through the module's `hydrate_island`). The files are the ones the page preloads
// (content-hashed names), so this script is the same on every page and build. `enhance.js`
// calls `__hydrateIslands` for a page it swaps in, and reloads a page whose islands are
// another build's (`__islands` names the module loaded here).
const js = document.querySelector("link[rel=modulepreload]").getAttribute("href");
const wasm = document.querySelector("link[rel=preload][as=fetch]").getAttribute("href");
window.__islands = js;
const app = await import(js);
await app.default({ module_or_path: wasm });
app.hydrate();
// Each hydrated island's state, freed once its element has left the page: the state holds
// the island's listeners and elements, and would keep every swapped-out page alive.
const live = new Map();
// The new page's islands first: a failure to free an old one must not leave them inert.
const hydrate = (root) => {
  for (const el of root.querySelectorAll("leptos-island")) {
    if (live.has(el)) continue;
    const island = app.hydrate_island(el);
    if (island) live.set(el, island);
    else console.warn(`${js} has no island ${el.dataset.component}`);
  }
  for (const [el, island] of live) {
    if (el.isConnected) continue;
    live.delete(el);
    try {
      island.free();
    } catch (error) {
      console.warn(`freeing island ${el.dataset.component}:`, error);
    }
  }
};
hydrate(document.body);
window.__hydrateIslands = hydrate;
document.body.dataset.hydrated = "true";
