import type { BrowserContext } from "@playwright/test";

/** One response as Chromium received it: bytes on the wire (headers included) and decoded. */
export interface Fetched {
  url: string;
  status: number;
  /** Bytes that came over the network: 0 when the cache answered. */
  wire: number;
  /** The body as the page got it, decompressed. */
  raw: number;
  cached: boolean;
}

export interface Load {
  fetched: Fetched[];
  wire: number;
  raw: number;
  /** Milliseconds from navigation start to `data-hydrated` on `<body>` (null without it). */
  hydratedMs: number | null;
}

// Records when the app marks the page hydrated, from the first script the page runs.
const HYDRATION_CLOCK = `
  new MutationObserver((_, observer) => {
    if (document.body && document.body.dataset.hydrated === "true") {
      window.__hydratedMs = performance.now();
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
`;

/**
 * Loads `url` in a new page of `context` and counts every request the load made, through
 * Chromium's own network events (what it received, not what the server meant to send).
 * A new context has a cold cache; a second load in the same context shows what it kept.
 */
export async function weigh(context: BrowserContext, url: string, hydrates: boolean): Promise<Load> {
  const page = await context.newPage();
  await page.addInitScript(HYDRATION_CLOCK);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  // Chromium's own cache; Playwright's routing would turn it off.
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  const byId = new Map<string, Fetched>();
  const entry = (id: string) => {
    let f = byId.get(id);
    if (!f) {
      f = { url: "", status: 0, wire: 0, raw: 0, cached: false };
      byId.set(id, f);
    }
    return f;
  };
  cdp.on("Network.requestWillBeSent", (e) => {
    entry(e.requestId).url = e.request.url;
  });
  cdp.on("Network.requestServedFromCache", (e) => {
    entry(e.requestId).cached = true;
  });
  cdp.on("Network.responseReceived", (e) => {
    const f = entry(e.requestId);
    f.status = e.response.status;
    f.cached ||= !!(e.response.fromDiskCache || e.response.fromPrefetchCache);
  });
  cdp.on("Network.dataReceived", (e) => {
    entry(e.requestId).raw += e.dataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    entry(e.requestId).wire = e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "networkidle" });
  let hydratedMs: number | null = null;
  if (hydrates) {
    await page.waitForFunction(() => (window as { __hydratedMs?: number }).__hydratedMs !== undefined);
    hydratedMs = await page.evaluate(() => (window as { __hydratedMs?: number }).__hydratedMs ?? null);
  }
  await page.close();
  const fetched = [...byId.values()].filter((f) => f.url.startsWith("http"));
  for (const f of fetched) {
    if (f.cached) f.wire = 0;
  }
  return {
    fetched,
    wire: fetched.reduce((n, f) => n + f.wire, 0),
    raw: fetched.reduce((n, f) => n + f.raw, 0),
    hydratedMs,
  };
}
