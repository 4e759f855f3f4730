import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { addTodo, hydrated, latestLink, newEmail, ready, requestLink } from "./helpers";
import { emulatorUrls, workosUrl } from "./stack";

// The providers that sign in on their own hosted page, as the local stack names them.
const providers = [
  { name: "workos", label: "WorkOS" },
  { name: "auth0", label: "Auth0" },
  { name: "kinde", label: "Kinde" },
  { name: "clerk", label: "Clerk" },
  { name: "sso", label: "Company SSO" },
] as const;

/** What the app revoked at `provider` (through its API) for the user `email`. */
async function revokedAt(page: Page, provider: string, email: string): Promise<string[]> {
  const res = await page.request.get(`${emulatorUrls[provider]}/dev/revocations`);
  expect(res.ok()).toBeTruthy();
  const all = (await res.json()) as { what: string; email: string }[];
  return all.filter((r) => r.email === email).map((r) => r.what);
}

/** Through the provider's page (the sign-in page's button, already open, or its sign-in
 * URL when `direct`), back to the todos. */
async function signInWith(page: Page, info: TestInfo, provider: string, email: string, direct = false) {
  if (direct) {
    await page.goto(`/auth/login/${provider}`);
  } else {
    await ready(page, info);
    await page.getByTestId(`sign-in-${provider}`).click();
  }
  // The emulator's hosted page: one field.
  await expect(page.getByRole("heading", { name: /^Sign in with/ })).toBeVisible();
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:3100\/$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await ready(page, info);
}

for (const { name, label } of providers) {
  test(`${label}: sign in, manage todos, reload, sign out`, async ({ page }, info) => {
    const email = newEmail(name);
    await page.goto("/login");
    await expect(page.getByTestId(`sign-in-${name}`)).toHaveText(`Continue with ${label}`);
    await signInWith(page, info, name, email);

    await addTodo(page, `${label} milk`);
    await addTodo(page, `${label} tests`);
    await expect(page.getByTestId("todo-title")).toHaveText([`${label} tests`, `${label} milk`]);
    await page.getByRole("button", { name: `Mark “${label} milk” as done` }).click();
    await expect(page.getByTestId("count")).toHaveText("2 todos · 1 done");
    await page
      .getByTestId("todo")
      .filter({ hasText: `${label} tests` })
      .getByRole("button", { name: "Delete" })
      .click();
    await expect(page.getByTestId("todo-title")).toHaveText([`${label} milk`]);

    // The session and the data outlive a reload.
    await page.reload();
    await expect(page.getByTestId("user-email")).toHaveText(email);
    await expect(page.getByTestId("todo-title")).toHaveText([`${label} milk`]);

    // Signing out goes through the provider's sign-out page where it has one, and ends on
    // the sign-in page.
    const workosLogouts = async (): Promise<string[]> =>
      (await page.request.get(`${workosUrl}/dev/logouts`)).json();
    const logoutsBefore = (await workosLogouts()).length;
    await ready(page, info);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1$/);
    await expect(page.getByText("You have signed out.")).toBeVisible();
    // Revoked at the provider too, from the server, so a copy of the cookie dies with it.
    expect(await revokedAt(page, name, email)).toEqual([name === "workos" ? "session" : "refresh_token"]);
    // WorkOS: through the session's logout URL, exactly once; the others never go there.
    const logouts = await workosLogouts();
    expect(logouts.length).toBe(logoutsBefore + (name === "workos" ? 1 : 0));
    if (name === "workos") {
      expect(logouts.at(-1)).toMatch(
        /^\/user_management\/sessions\/logout\?session_id=session_01\w{24}&return_to=/,
      );
    }
    await page.goto("/");
    await expect(page).toHaveURL(/\/login$/);
  });
}

test("the same email at three providers is three users who never see each other's todos", async ({ browser }, info) => {
  const email = newEmail("twice");
  const first = await browser.newContext({ javaScriptEnabled: hydrated(info) });
  const second = await browser.newContext({ javaScriptEnabled: hydrated(info) });
  const third = await browser.newContext({ javaScriptEnabled: hydrated(info) });
  try {
    const a = await first.newPage();
    await a.goto("/login");
    await signInWith(a, info, "auth0", email);
    await addTodo(a, "only for the Auth0 user");

    const b = await second.newPage();
    await b.goto("/login");
    await signInWith(b, info, "kinde", email);
    await expect(b.getByTestId("empty")).toBeVisible();
    await addTodo(b, "only for the Kinde user");

    const c = await third.newPage();
    await c.goto("/login");
    await signInWith(c, info, "workos", email);
    await expect(c.getByTestId("empty")).toBeVisible();
    await addTodo(c, "only for the WorkOS user");

    await a.reload();
    await expect(a.getByTestId("todo-title")).toHaveText(["only for the Auth0 user"]);
    await b.reload();
    await expect(b.getByTestId("todo-title")).toHaveText(["only for the Kinde user"]);
    await c.reload();
    await expect(c.getByTestId("todo-title")).toHaveText(["only for the WorkOS user"]);
  } finally {
    await first.close();
    await second.close();
    await third.close();
  }
});

test("cancelling at the provider comes back with a clear message", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  await page.getByTestId("sign-in-auth0").click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/login\?error=sign_in_cancelled$/);
  await expect(page.getByTestId("sign-in-error")).toHaveText(
    "Sign-in was cancelled. You can try again whenever you like.",
  );
  // And the way back in is right there.
  await signInWith(page, info, "auth0", newEmail("after-cancel"));
});

test("a callback that no sign-in is waiting for, or one replayed, is refused", async ({ browser, page }, info) => {
  for (const callback of ["/auth/callback/clerk", "/callback"]) {
    // An unknown state, or none at all.
    for (const query of ["code=forged&state=forged", "code=forged"]) {
      await page.goto(`${callback}?${query}`);
      await expect(page).toHaveURL(/\/login\?error=sign_in_expired$/);
      await expect(page.getByTestId("sign-in-error")).toHaveText(
        "This sign-in has expired or was already used. Please sign in again.",
      );
    }
    // The provider reporting a cancel, even without a state.
    await page.goto(`${callback}?error=access_denied`);
    await expect(page).toHaveURL(/\/login\?error=sign_in_cancelled$/);
    // The provider reporting a failure.
    await page.goto(`${callback}?error=server_error&error_description=boom&state=forged`);
    await expect(page).toHaveURL(/\/login\?error=sign_in_failed$/);
    await expect(page.getByTestId("sign-in-error")).toHaveText(
      "We couldn't verify your sign-in with the provider. Please try again.",
    );
  }

  // A real callback URL, caught on its way, then opened again in another browser.
  await page.goto("/login");
  await ready(page, info);
  let callback = "";
  page.on("request", (r) => {
    if (r.url().includes("/api/auth/kinde_callback?")) callback = r.url();
  });
  await signInWith(page, info, "kinde", newEmail("replay"));
  expect(callback).toContain("code=");
  const other = await browser.newContext();
  try {
    const replay = await other.newPage();
    await replay.goto(callback);
    await expect(replay).toHaveURL(/\/login\?error=sign_in_expired$/);
    await expect(replay.getByTestId("user-email")).toHaveCount(0);
  } finally {
    await other.close();
  }
});

test("signing in anew over another session ends the old one at its provider", async ({ page }, info) => {
  const [first, second, third] = [newEmail("over-1"), newEmail("over-2"), newEmail("over-3")];
  // A magic link asked for in this browser first, to open once two other sessions came and went.
  await page.goto("/login");
  await requestLink(page, info, third);
  const link = await latestLink(third);
  await page.goto("/login");
  await signInWith(page, info, "auth0", first);

  // A hosted sign-in over it: the Auth0 session is revoked before Kinde's code is exchanged.
  await signInWith(page, info, "kinde", second, true);
  expect(await revokedAt(page, "auth0", first)).toEqual(["refresh_token"]);
  expect(await revokedAt(page, "kinde", second)).toEqual([]);

  // A magic link over that: the Kinde session is revoked once the link is redeemed.
  await page.goto(link);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("user-email")).toHaveText(third);
  expect(await revokedAt(page, "kinde", second)).toEqual(["refresh_token"]);
});
