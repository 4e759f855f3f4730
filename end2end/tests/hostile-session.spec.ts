// The hostile catalogue's second half (the first, and what it asserts: `hostile.spec.ts`):
// tampered cookies, cross-site calls, sign-in flows, open redirects and what the InsForge
// stand-in refuses. HTTP-level cases run once (in the "hydrated" project).
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, request, test } from "@playwright/test";
import { latestLink, newEmail } from "./helpers";
import { signedIn, anonymous, call, addTodo, titles, remember, sessionCookie, withCookies } from "./hostile";
import { ports, siteUrl } from "./stack";

test.beforeEach(({}, info) => {
  test.skip(info.project.name !== "hydrated", "HTTP-level cases run once");
});

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
