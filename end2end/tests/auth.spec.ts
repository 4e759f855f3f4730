import { expect, test } from "@playwright/test";
import { latestLink, newEmail, ready, requestLink, signIn } from "./helpers";

test("signs in through the emailed magic link", async ({ page }, info) => {
  const email = newEmail("signin");
  await signIn(page, info, email);
  await expect(page.getByRole("heading", { name: "My Todos" })).toBeVisible();
  await expect(page.getByTestId("empty")).toHaveText("No todos yet. Add one above!");
});

test("a used magic link fails cleanly and leads back to sign-in", async ({ page }, info) => {
  const email = newEmail("reuse");
  await signIn(page, info, email);
  const link = await latestLink(email);
  // Opened again in the browser that used it.
  await page.goto(link);
  await expect(page.getByTestId("auth-error")).toHaveText(
    "This sign-in link has already been used or has expired. Ask for a new one.",
  );
  await expect(page).toHaveURL(/\/authenticate\?/);
  await page.getByRole("link", { name: "Back to sign-in" }).click();
  await expect(page).toHaveURL(/\/(login)?$/);
});

const OTHER_BROWSER =
  "Open this sign-in link in the browser where you asked for it. It was not used here, so it still works there.";

test("a magic link opened in another browser is refused and stays usable", async ({ page, browser }, info) => {
  const email = newEmail("elsewhere");
  await page.goto("/login");
  await requestLink(page, info, email);
  const link = await latestLink(email);
  // A mail scanner, or the same person on another device: no verifier, so Stytch is not asked.
  const other = await browser.newContext({ javaScriptEnabled: hydrated(info) });
  const stranger = await other.newPage();
  await stranger.goto(link);
  await expect(stranger.getByTestId("auth-error")).toHaveText(OTHER_BROWSER);
  expect((await other.cookies()).find((c) => c.name === "ia_session")).toBeUndefined();
  await other.close();
  // The browser that asked for it still signs in with it.
  await page.goto(link);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("an attacker's magic link cannot sign a victim in as the attacker", async ({ page, browser }, info) => {
  const victim = newEmail("victim");
  await signIn(page, info, victim);
  // The victim's browser holds its own verifier (it asked for a link): the attacker's link,
  // bound to the attacker's browser, is refused by Stytch's PKCE check.
  const attackerContext = await browser.newContext({ javaScriptEnabled: hydrated(info) });
  const attacker = await attackerContext.newPage();
  const attackerEmail = newEmail("attacker");
  await attacker.goto("/login");
  await requestLink(attacker, info, attackerEmail);
  const planted = await latestLink(attackerEmail);
  await page.goto(planted);
  await expect(page.getByTestId("auth-error")).toHaveText(OTHER_BROWSER);
  await page.goto("/");
  await expect(page.getByTestId("user-email")).toHaveText(victim);
  // The link was not spent: the attacker's own browser can still use it.
  await attacker.goto(planted);
  await expect(attacker.getByTestId("user-email")).toHaveText(attackerEmail);
  await attackerContext.close();
});

test("an unknown magic link is refused", async ({ page }, info) => {
  // In a browser that asked for a link: Stytch is asked, and knows no such token.
  await page.goto("/login");
  await requestLink(page, info, newEmail("unknown"));
  await page.goto("/authenticate?stytch_token_type=magic_links&token=not-a-real-token");
  await expect(page.getByTestId("auth-error")).toHaveText(
    "This sign-in link is not valid. Ask for a new one.",
  );
});

test("a signed-out visit to the todo page goes to sign-in and comes back", async ({ page }, info) => {
  await page.goto("/?from=bookmark");
  await expect(page).toHaveURL(/\/login\?next=%2F%3Ffrom%3Dbookmark$/);
  const email = newEmail("return");
  await requestLink(page, info, email);
  await page.goto(await latestLink(email));
  await expect(page).toHaveURL(/\/\?from=bookmark$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("sign-in rejects a bad address and keeps what was typed", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  await page.getByLabel("Email address").fill("not-an-email");
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByTestId("login-error")).toHaveText(
    "That doesn't look like an email address. Check it and try again.",
  );
  await expect(page.getByLabel("Email address")).toHaveValue("not-an-email");
  await page.getByLabel("Email address").fill("");
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByTestId("login-error")).toHaveText("Enter your email address.");
});

test("sign out ends the session", async ({ page }, info) => {
  await signIn(page, info, newEmail("signout"));
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByText("You have signed out.")).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("the theme choice survives a reload", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  // With JavaScript the theme applies at once and is saved in the background: reload once saved.
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/set_theme"));
  await page.getByRole("button", { name: "Dark" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await saved;
  await page.reload();
  // Rendered by the server in the chosen theme: no flash of the other one.
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.locator("body")).toHaveCSS("background-color", "rgb(17, 17, 20)");
  await ready(page, info);
  await page.getByRole("button", { name: "Light" }).click();
  await expect(page.locator("body")).toHaveCSS("background-color", "rgb(247, 247, 248)");
  await page.getByRole("button", { name: "System" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
});

const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

function hydrated(info: { project: { name: string } }) {
  return info.project.name === "hydrated";
}

test("the session cookie is sealed, HttpOnly, SameSite=Lax and expires", async ({ page, context }, info) => {
  await signIn(page, info, newEmail("cookie"));
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "ia_session");
  expect(session, "a session cookie").toBeDefined();
  expect(session!.httpOnly).toBe(true);
  expect(session!.sameSite).toBe("Lax");
  // Over plain http (the local stack) it cannot be Secure; with an https SITE_URL it is.
  expect(session!.secure).toBe(false);
  expect(session!.expires).toBeGreaterThan(Date.now() / 1000 + 24 * 3600);
  // Sealed: neither the provider's tokens nor the email are readable in it. The sealed value
  // is standard base64, so "eyJ" turns up in it by chance (about once in a hundred cookies);
  // a JWT is three dot-separated base64url parts, and base64 has no dots.
  expect(session!.value).not.toContain("@");
  expect(session!.value).not.toMatch(JWT);
  // And the page never received an InsForge token or any secret.
  const html = await page.content();
  expect(html).not.toMatch(JWT);
});

test("another site cannot call the server functions", async ({ request }) => {
  const res = await request.post("/api/sign_out", {
    headers: { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
  });
  expect(res.status()).toBe(403);
  // The same request from the site itself goes through.
  const own = await request.post("/api/sign_out", {
    headers: { "Sec-Fetch-Site": "same-origin" },
    maxRedirects: 0,
  });
  expect(own.status()).not.toBe(403);
  expect(own.ok() || own.status() === 302).toBeTruthy();
});

test("the health check answers", async ({ request }) => {
  const res = await request.get("/healthz");
  expect(res.status()).toBe(200);
  expect(await res.text()).toBe("ok");
});

test("sign-in never returns to another site", async ({ page }, info) => {
  await page.goto("/login?next=//evil.example/steal");
  const email = newEmail("redirect");
  await requestLink(page, info, email);
  await page.goto(await latestLink(email));
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test("a link checker's HEAD request does not spend the magic link", async ({ page, request }, info) => {
  const email = newEmail("scanner");
  await page.goto("/login");
  await requestLink(page, info, email);
  const link = await latestLink(email);
  const probe = await request.head(link);
  expect(probe.status()).toBe(200);
  await page.goto(link);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("a second link for one address within a minute is refused with why, and the first still works", async ({ page }, info) => {
  const email = newEmail("twice");
  await page.goto("/login");
  await requestLink(page, info, email);
  const link = await latestLink(email);
  await page.goto("/login");
  await ready(page, info);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Too many sign-in links" })).toHaveText(
    "Too many sign-in links were asked for. Use the newest one in your inbox, or try again later.",
  );
  await page.goto(link);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});
