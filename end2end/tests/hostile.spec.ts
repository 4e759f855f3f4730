// The hostile catalogue: what an attacker (or a careless client) can send, and what the app
// answers. Each case asserts the outcome: refused with its status and message, no 5xx where
// the fault is the caller's, no other user's row touched. HTTP-level cases run once (in the
// "hydrated" project); they need no browser.
import { createHmac, randomBytes } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { type APIRequestContext, expect, request, test } from "@playwright/test";
import { addTodo as addInPage, insforge, latestLink, newEmail, signIn } from "./helpers";
import { ports, SEEN_SECRETS, siteUrl } from "./stack";

test.beforeEach(({}, info) => {
  test.skip(info.project.name !== "hydrated", "HTTP-level cases run once");
});

/** A client that signed in through the real magic-link flow, over plain HTTP. */
async function signedIn(email = newEmail("hostile")): Promise<APIRequestContext> {
  const api = await request.newContext({ baseURL: siteUrl });
  const sent = await api.post("/api/start_sign_in", { form: { email } });
  expect(sent.status()).toBe(200);
  const landing = await api.get(await latestLink(email), { headers: { Accept: "text/html" } });
  expect(landing.url()).toBe(`${siteUrl}/`);
  return api;
}

async function anonymous(): Promise<APIRequestContext> {
  return request.newContext({ baseURL: siteUrl });
}

/** Calls a server function as the hydrated app does (a form-encoded POST, JSON back). */
async function call(api: APIRequestContext, fn: string, form: Record<string, string> = {}) {
  const res = await api.post(`/api/${fn}`, { form, maxRedirects: 0 });
  return { status: res.status(), body: await res.json().catch(() => null) };
}

async function addTodo(api: APIRequestContext, title: string): Promise<string> {
  const { status, body } = await call(api, "add_todo", { title });
  expect(status).toBe(200);
  return body.id as string;
}

async function titles(api: APIRequestContext): Promise<string[]> {
  const { status, body } = await call(api, "list_todos");
  expect(status).toBe(200);
  return (body as { title: string }[]).map((t) => t.title);
}

test.describe("honest statuses", () => {
  test("a signed-out call is 401", async () => {
    const api = await anonymous();
    for (const fn of ["list_todos", "add_todo", "set_done", "rename_todo", "delete_todo"]) {
      const form = { title: "x", id: crypto.randomUUID(), done: "true" };
      expect(await call(api, fn, form), fn).toEqual({ status: 401, body: "SignedOut" });
    }
    await api.dispose();
  });

  test("a blank, overlong or control-character title is 422 and stores nothing", async () => {
    const api = await signedIn();
    for (const [title, error] of [
      ["   ", "TitleRequired"],
      ["x".repeat(501), "TitleTooLong"],
      ["null\u0000byte", "TitleInvalid"],
      ["\u202Eevil", "TitleInvalid"],
    ]) {
      expect(await call(api, "add_todo", { title }), JSON.stringify(title)).toEqual({
        status: 422,
        body: error,
      });
    }
    expect(await titles(api)).toEqual([]);
    await api.dispose();
  });

  test("a malformed id or a missing argument is 400", async () => {
    const api = await signedIn();
    for (const [fn, form] of [
      ["delete_todo", { id: "not-a-uuid" }],
      ["set_done", { id: "1; drop table todos", done: "true" }],
      ["set_done", { id: crypto.randomUUID(), done: "maybe" }],
      ["rename_todo", { id: crypto.randomUUID() }],
    ] as const) {
      expect(await call(api, fn, form), `${fn} ${JSON.stringify(form)}`).toEqual({
        status: 400,
        body: "BadRequest",
      });
    }
    await api.dispose();
  });

  test("another user's todo is 404 through every server function, and stays untouched", async () => {
    const owner = await signedIn();
    const id = await addTodo(owner, "the owner's todo");
    const other = await signedIn();
    for (const [fn, form] of [
      ["set_done", { id, done: "true" }],
      ["rename_todo", { id, title: "taken over" }],
      ["delete_todo", { id }],
    ] as const) {
      expect(await call(other, fn, form), fn).toEqual({ status: 404, body: "TodoNotFound" });
    }
    expect(await titles(other)).toEqual([]);
    const { body } = await call(owner, "list_todos");
    expect(body).toEqual([expect.objectContaining({ id, title: "the owner's todo", is_complete: false })]);
    await owner.dispose();
    await other.dispose();
  });

  for (const fn of ["add_todo", "rename_todo", "start_sign_in", "set_theme"]) {
    test(`a body over the limit is 413 at ${fn}`, async () => {
      const api = await signedIn();
      const huge = "x".repeat(70 * 1024);
      const form = { title: huge, email: huge, theme: huge, id: crypto.randomUUID() };
      expect(await call(api, fn, form)).toEqual({ status: 413, body: "TooLarge" });
      expect(await titles(api)).toEqual([]);
      await api.dispose();
    });
  }

  test("a cross-site call is 403", async () => {
    const api = await signedIn();
    const res = await api.post("/api/add_todo", {
      form: { title: "planted" },
      headers: { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
    });
    expect(res.status()).toBe(403);
    expect(await res.json()).toBe("CrossSite");
    expect(await titles(api)).toEqual([]);
    await api.dispose();
  });

  test("InsForge unreachable is 503, and back again is 200", async () => {
    const api = await signedIn();
    await insforge("stop");
    try {
      expect(await call(api, "list_todos")).toEqual({ status: 503, body: "BackendUnavailable" });
      expect(await call(api, "add_todo", { title: "while down" })).toEqual({
        status: 503,
        body: "BackendUnavailable",
      });
    } finally {
      await insforge("start");
    }
    expect(await titles(api)).toEqual([]);
    await api.dispose();
  });
});

test.describe("magic links", () => {
  const OTHER_BROWSER = "LinkOtherBrowser";

  test("a scanner's GET of a link does not spend it", async () => {
    const owner = await anonymous();
    const email = newEmail("scanned");
    expect((await owner.post("/api/start_sign_in", { form: { email } })).status()).toBe(200);
    const link = await latestLink(email);
    const scanner = await anonymous();
    const scanned = await scanner.get(link, { headers: { Accept: "text/html" } });
    expect(scanned.status()).toBe(403);
    expect(await scanned.text()).toContain("Open this sign-in link in the browser where you asked for it.");
    expect((await scanner.storageState()).cookies.map((c) => c.name)).not.toContain("ia_session");
    const used = await owner.get(link, { headers: { Accept: "text/html" } });
    expect(used.url()).toBe(`${siteUrl}/`);
    expect((await owner.storageState()).cookies.map((c) => c.name)).toContain("ia_session");
    await owner.dispose();
    await scanner.dispose();
  });

  test("a link's token redeemed by the server function without the browser's verifier is 403", async () => {
    const owner = await anonymous();
    const email = newEmail("direct");
    await owner.post("/api/start_sign_in", { form: { email } });
    const token = new URL(await latestLink(email)).searchParams.get("token")!;
    const stranger = await anonymous();
    expect(await call(stranger, "finish_sign_in", { token })).toEqual({ status: 403, body: OTHER_BROWSER });
    await stranger.dispose();
    await owner.dispose();
  });

  test("a cross-site navigation to a link (login CSRF) signs nobody in and leaves it unspent", async () => {
    const owner = await anonymous();
    const email = newEmail("planted");
    await owner.post("/api/start_sign_in", { form: { email } });
    const link = await latestLink(email);
    const victim = await anonymous();
    const res = await victim.get(link, {
      headers: { Accept: "text/html", "Sec-Fetch-Site": "cross-site", Referer: "https://evil.example/" },
    });
    expect(res.status()).toBe(403);
    expect((await victim.storageState()).cookies.map((c) => c.name)).not.toContain("ia_session");
    const used = await owner.get(link, { headers: { Accept: "text/html" } });
    expect(used.url()).toBe(`${siteUrl}/`);
    await Promise.all([owner.dispose(), victim.dispose()]);
  });

  test("a replayed link is 410", async () => {
    const email = newEmail("replay");
    const api = await signedIn(email);
    const token = new URL(await latestLink(email)).searchParams.get("token")!;
    expect(await call(api, "finish_sign_in", { token })).toEqual({ status: 410, body: "LinkUsed" });
    await api.dispose();
  });

  test("an unknown link is 404", async () => {
    const api = await anonymous();
    await api.post("/api/start_sign_in", { form: { email: newEmail("unknown") } });
    expect(await call(api, "finish_sign_in", { token: "no-such-token" })).toEqual({
      status: 404,
      body: "LinkUnknown",
    });
    await api.dispose();
  });
});

/** Secrets and tokens seen by these cases: `server-log.check.ts` (run after every other
 *  test) makes sure none of them reached the server's log. */
function remember(secret: string) {
  appendFileSync(SEEN_SECRETS, `${secret}\n`);
}

async function sessionCookie(api: APIRequestContext): Promise<string> {
  const cookie = (await api.storageState()).cookies.find((c) => c.name === "ia_session");
  expect(cookie, "a session cookie").toBeDefined();
  remember(cookie!.value);
  return cookie!.value;
}

/** A client that sends exactly these cookies. */
async function withCookies(cookies: Record<string, string>): Promise<APIRequestContext> {
  const header = Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join("; ");
  return request.newContext({ baseURL: siteUrl, extraHTTPHeaders: { Cookie: header } });
}

test.describe("tampered cookies", () => {
  // `v`: the victim's sealed session; `other`: a sealed value of another cookie (ia_link).
  const tamperings: [string, (v: string, other: string) => Record<string, string>][] = [
    ["truncated", (v) => ({ ia_session: v.slice(0, v.length - 8) })],
    ["bit-flipped", (v) => ({ ia_session: v.slice(0, 20) + (v[20] === "A" ? "B" : "A") + v.slice(21) })],
    ["emptied", () => ({ ia_session: "" })],
    ["replaced by the JSON it would seal", () => ({ ia_session: '{"v":2,"provider":"stytch","user_id":"x"}' })],
    ["made of another sealed cookie's value", (_, other) => ({ ia_session: other })],
    ["sealed with another secret (or an older version)", () => ({
      ia_session: randomBytes(120).toString("base64"),
    })],
  ];
  for (const [name, tamper] of tamperings) {
    test(`a session cookie ${name} reads as signed out`, async () => {
      const owner = await signedIn();
      await addTodo(owner, "kept safe");
      const asker = await anonymous();
      await asker.post("/api/start_sign_in", { form: { email: newEmail("other-cookie") } });
      const other = (await asker.storageState()).cookies.find((c) => c.name === "ia_link")!.value;
      remember(other);
      await asker.dispose();
      const forged = await withCookies(tamper(await sessionCookie(owner), other));
      expect(await call(forged, "list_todos")).toEqual({ status: 401, body: "SignedOut" });
      expect(await call(forged, "add_todo", { title: "planted" })).toEqual({ status: 401, body: "SignedOut" });
      expect(await titles(owner)).toEqual(["kept safe"]);
      await forged.dispose();
      await owner.dispose();
    });
  }

  test("a session cookie moved into the magic-link verifier does not redeem a link", async () => {
    const owner = await signedIn();
    const sealed = await sessionCookie(owner);
    const email = newEmail("moved");
    const asker = await anonymous();
    await asker.post("/api/start_sign_in", { form: { email } });
    const token = new URL(await latestLink(email)).searchParams.get("token")!;
    remember(token);
    const forged = await withCookies({ ia_link: sealed });
    expect(await call(forged, "finish_sign_in", { token })).toEqual({ status: 403, body: "LinkOtherBrowser" });
    await Promise.all([forged.dispose(), asker.dispose(), owner.dispose()]);
  });
});

test.describe("cross-site calls", () => {
  const origins: [string, Record<string, string>][] = [
    ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site" }],
    ["Sec-Fetch-Site: same-site (a sibling subdomain)", { "Sec-Fetch-Site": "same-site" }],
    ["a foreign Origin without Sec-Fetch-Site", { Origin: "https://evil.example" }],
    ["Origin: null (a sandboxed frame or a data: page)", { Origin: "null" }],
    ["an Origin on another port of this host", { Origin: "http://127.0.0.1:9" }],
  ];
  for (const [name, headers] of origins) {
    for (const fn of ["add_todo", "sign_out", "start_sign_in"]) {
      test(`${fn} with ${name} is 403`, async () => {
        const api = await signedIn();
        const res = await api.post(`/api/${fn}`, {
          form: { title: "planted", email: newEmail("csrf") },
          headers,
          maxRedirects: 0,
        });
        expect(res.status()).toBe(403);
        expect(await res.json()).toBe("CrossSite");
        expect(await titles(api)).toEqual([]);
        await api.dispose();
      });
    }
  }
});

test.describe("sign-in flows", () => {
  test("a provider's real code and state delivered to another provider's callback signs nobody in", async () => {
    for (const callback of ["/auth/callback/clerk", "/api/auth/kinde_callback", "/callback", "/auth/callback/sso"]) {
      const api = await anonymous();
      const start = await api.get("/auth/login/auth0", { maxRedirects: 0 });
      expect(start.status()).toBe(303);
      // The Auth0 emulator signs the hinted user in at once and sends the browser back.
      const authorize = `${start.headers()["location"]}&login_hint=${newEmail("mixup")}`;
      const back = await api.get(authorize, { maxRedirects: 0 });
      const code = new URL(back.headers()["location"]).searchParams.get("code");
      const state = new URL(back.headers()["location"]).searchParams.get("state");
      expect(code, authorize).toBeTruthy();
      remember(code!);
      const res = await api.get(`${callback}?code=${code}&state=${state}`, { maxRedirects: 0 });
      expect(res.status(), callback).toBe(303);
      expect(res.headers()["location"], callback).toMatch(/^\/login\?error=/);
      expect((await api.storageState()).cookies.map((c) => c.name)).not.toContain("ia_session");
      await api.dispose();
    }
  });

  test("a callback without its sign-in cookie, or replayed, signs nobody in", async () => {
    const api = await anonymous();
    for (const query of ["code=x&state=unknown", "code=x", "state=x", "error=access_denied&state=x", ""]) {
      const res = await api.get(`/auth/callback?${query}`, { maxRedirects: 0 });
      expect(res.status(), query).toBe(303);
      expect(res.headers()["location"], query).toMatch(/^\/login\?error=/);
    }
    expect((await api.storageState()).cookies.map((c) => c.name)).not.toContain("ia_session");
    await api.dispose();
  });

  test("a provider that is not enabled cannot be started", async () => {
    const api = await anonymous();
    for (const name of ["github", "stytch", "..%2F..%2Fapi", "AUTH0"]) {
      const res = await api.get(`/auth/login/${name}`, { maxRedirects: 0 });
      expect(res.status(), name).toBe(303);
      expect(res.headers()["location"], name).toBe("/login?error=sign_in_failed");
    }
    await api.dispose();
  });
});

test.describe("open redirects", () => {
  const targets = [
    "//evil.example",
    "/\\evil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "https://evil.example",
  ];
  for (const next of targets) {
    test(`next=${next} at /login keeps sign-in on this site`, async ({ page }) => {
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      await expect(page.locator('input[name="next"]')).toHaveValue(/^(\/[^/\\].*)?$/);
      const api = await anonymous();
      const email = newEmail("next");
      await api.post("/api/start_sign_in", { form: { email, next: decodeURIComponent(next) } });
      const landing = await api.get(await latestLink(email), { headers: { Accept: "text/html" } });
      expect(new URL(landing.url()).origin).toBe(siteUrl);
      await api.dispose();
    });

    test(`next=${next} at /auth/login/<provider> keeps sign-in on this site`, async ({ page }) => {
      await page.goto(`/auth/login/auth0?next=${encodeURIComponent(next)}`);
      await page.getByLabel("Email address").fill(newEmail("next"));
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("heading", { name: /^(My Todos|Page not found)$/ })).toBeVisible();
      expect(new URL(page.url()).origin).toBe(siteUrl);
    });
  }
});

test.describe("InsForge stand-in", () => {
  const insforgeUrl = `http://127.0.0.1:${ports.insforge}`;
  const secret = () => {
    const env = readFileSync(`${__dirname}/../../target/e2e-stack/app.env`, "utf8");
    return /^INSFORGE_JWT_SECRET=(.*)$/m.exec(env)![1];
  };
  const b64 = (v: object | string) =>
    Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  const sign = (claims: object, key = secret(), alg = "HS256") => {
    const head = `${b64({ alg, typ: "JWT" })}.${b64(claims)}`;
    return `${head}.${createHmac("sha256", key).update(head).digest("base64url")}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const records = async (token: string) => {
    const api = await request.newContext();
    const res = await api.get(`${insforgeUrl}/api/database/records/todos`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const out = { status: res.status(), body: await res.json().catch(() => null) };
    await api.dispose();
    return out;
  };
  const forged: [string, () => string][] = [
    ["signed with another secret", () => sign({ sub: "u", role: "authenticated", exp: now() + 60 }, "not-the-secret")],
    ["expired", () => sign({ sub: "u", role: "authenticated", exp: now() - 60 })],
    ["alg none", () => `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "u", role: "authenticated", exp: now() + 60 })}.`],
    ["a service_role claim", () => sign({ sub: "u", role: "service_role", exp: now() + 60 })],
    ["a postgres (superuser) role claim", () => sign({ sub: "u", role: "postgres", exp: now() + 60 })],
  ];
  for (const [name, token] of forged) {
    test(`a token ${name} is refused with 401 or 403 and reads nothing`, async () => {
      const owner = await signedIn();
      await addTodo(owner, "not for forgers");
      const { status, body } = await records(token());
      expect([401, 403], JSON.stringify(body)).toContain(status);
      expect(JSON.stringify(body)).not.toContain("not for forgers");
      await owner.dispose();
    });
  }
});

test.describe("titles", () => {
  const hostile = [
    '<script>document.title="pwned"</script>',
    '<img src=x onerror="document.title=`pwned`">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}} ${7*7} <%= 7*7 %>",
  ];
  test("HTML and script in titles are stored as text and rendered inert", async ({ page }, info) => {
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(page, info, newEmail("xss"));
    for (const title of hostile) await addInPage(page, title);
    await page.reload();
    await expect(page.getByTestId("todo-title")).toHaveText([...hostile].reverse());
    expect(await page.title()).toBe("My Todos");
    expect(dialogs).toEqual([]);
    expect(await page.locator("main script, main img, main svg").count()).toBe(0);
  });
});
