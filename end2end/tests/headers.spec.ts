import { expect, type Page, test } from "@playwright/test";
import { addTodo, latestLink, newEmail, ready, signIn } from "./helpers";

/** Collects the page's Content-Security-Policy violations, from its first script on. */
async function watchPolicy(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on("console", (m) => {
    if (m.text().includes("Content Security Policy")) console.push(m.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return async () => [
    ...console,
    ...(await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? [])),
  ];
}

test("every page runs under its Content-Security-Policy with no violation", async ({ page }, info) => {
  const violations = await watchPolicy(page);
  const seen: string[] = [];
  page.on("response", (res) => {
    // Pages, not the redirects between them.
    if (res.request().resourceType() === "document" && (res.status() < 300 || res.status() >= 400)) {
      seen.push(res.headers()["content-security-policy"] ?? `none on ${res.url()}`);
    }
  });
  await signIn(page, info, newEmail("csp"));
  await addTodo(page, "under the policy");
  await page.getByRole("button", { name: "Mark “under the policy” as done" }).click();
  await expect(page.getByRole("button", { name: "Mark “under the policy” as not done" })).toBeVisible();
  await ready(page, info);
  expect(await violations()).toEqual([]);
  await page.goto("/no-such-page");
  expect(await violations()).toEqual([]);
  await page.goto("/authenticate?stytch_token_type=magic_links&token=x");
  expect(await violations()).toEqual([]);
  expect(seen.length).toBeGreaterThan(3);
  for (const policy of seen) {
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("unsafe-inline");
  }
  // The inline scripts Leptos writes carry the nonce the policy names, and nothing else does.
  const earlier = await (await page.request.get("/login")).text();
  const res = await page.request.get("/login");
  const nonce = /'nonce-([^']+)'/.exec(res.headers()["content-security-policy"] ?? "")?.[1];
  expect(nonce, "a nonce in the policy").toBeTruthy();
  const body = await res.text();
  const inline = [...body.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]);
  expect(inline.length).toBeGreaterThan(0);
  for (const attributes of inline) expect(attributes).toContain(`nonce="${nonce}"`);
  expect(earlier).not.toContain(`nonce="${nonce}"`); // a fresh nonce for every response
});

test("pages tell browsers not to sniff, frame, leak referrers or cache them", async ({ request }) => {
  for (const path of ["/login", "/authenticate?token=x", "/no-such-page"]) {
    const res = await request.get(path, { headers: { Accept: "text/html" } });
    const h = res.headers();
    expect(h["x-content-type-options"], path).toBe("nosniff");
    expect(h["referrer-policy"], path).toBe("same-origin");
    expect(h["x-frame-options"], path).toBe("DENY");
    expect(h["cache-control"], path).toBe("no-store");
    expect(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
    // The local stack is plain http: no HSTS (an https SITE_URL adds it; a unit test covers it).
    expect(h["strict-transport-security"], path).toBeUndefined();
  }
});

test("the back button after sign-out shows nothing private", async ({ page }, info) => {
  await signIn(page, info, newEmail("back"));
  await addTodo(page, "a private thought");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByText("a private thought")).toHaveCount(0);
});

test("nothing the user typed travels in a URL", async ({ page }, info) => {
  const visited: string[] = [];
  page.on("framenavigated", (frame) => visited.push(frame.url()));
  const email = newEmail("private");
  await page.goto("/login");
  await ready(page, info);
  await page.getByLabel("Email address").fill(`${email}@`);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByTestId("login-error")).toHaveText(
    "That doesn't look like an email address. Check it and try again.",
  );
  await expect(page.getByLabel("Email address")).toHaveValue(`${email}@`);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByTestId("check-email")).toContainText(email);
  // The link just sent (a second one this minute would be refused).
  await page.goto(await latestLink(email));
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await ready(page, info);
  const title = `private words ${"x".repeat(500)}`;
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("add-error")).toHaveText("Title is too long: 500 characters at most.");
  await expect(page.getByLabel("New todo")).toHaveValue(title);
  const local = encodeURIComponent(email.split("@")[0]);
  for (const url of visited) {
    expect(url).not.toContain(local);
    expect(url).not.toContain("private");
  }
});
