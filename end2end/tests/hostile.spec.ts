// The hostile catalogue: what an attacker (or a careless client) can send, and what the app
// answers. Each case asserts the outcome: refused with its status and message, no 5xx where
// the fault is the caller's, no other user's row touched. HTTP-level cases run once (in the
// "hydrated" project); they need no browser. This half: statuses, magic links and titles;
// `hostile-session.spec.ts`: cookies, cross-site calls, sign-in flows, redirects, InsForge.
import { expect, test } from "@playwright/test";
import { addTodo as addInPage, insforge, latestLink, newEmail, signIn } from "./helpers";
import { signedIn, anonymous, call, addTodo, titles } from "./hostile";
import { siteUrl } from "./stack";

test.beforeEach(({}, info) => {
  test.skip(info.project.name !== "hydrated", "HTTP-level cases run once");
});

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
