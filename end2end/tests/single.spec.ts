import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { addTodo, newEmail, ready } from "./helpers";
import { emulatorUrls, singleUrl } from "./stack";

// The app as a deployment with one provider that signs in on its own page (WorkOS): /login
// goes straight to the provider, so signing out must land somewhere that does not.
test.use({ baseURL: singleUrl });

/** At WorkOS' hosted page (the emulator's one field), through to the todos. */
async function signInAtWorkos(page: Page, info: TestInfo, email: string) {
  await expect(page.getByRole("heading", { name: /^Sign in with/ })).toBeVisible();
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${singleUrl}/`);
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await ready(page, info);
}

/** Nothing of the todo page: neither its form nor the Sign-out button. */
async function nothingPrivate(page: Page) {
  await expect(page.getByLabel("New todo")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await expect(page.getByTestId("todo")).toHaveCount(0);
}

test("signing out ends on a signed-out page, and Back shows nothing private", async ({ page }, info) => {
  const email = newEmail("single");
  await page.goto("/login");
  await signInAtWorkos(page, info, email);
  await addTodo(page, "only mine");

  await page.getByRole("button", { name: "Sign out" }).click();
  // Through WorkOS' logout and back: told so, not sent straight back to WorkOS.
  await expect(page).toHaveURL(`${singleUrl}/login?signed_out=1`);
  await expect(page.getByText("You have signed out.")).toBeVisible();
  await nothingPrivate(page);
  const revoked = await (await page.request.get(`${emulatorUrls.workos}/dev/revocations`)).json();
  expect(revoked).toContainEqual({ what: "session", email });

  // Back, through the pages before (the todo page among them): never anything private; the
  // server sends the signed-out visitor on to sign in.
  for (let i = 0; i < 3; i++) {
    await page.goBack();
    await nothingPrivate(page);
  }
  // And the todo page itself, asked for again, goes to WorkOS.
  await page.goto("/");
  await expect(page.getByRole("heading", { name: /^Sign in with/ })).toBeVisible();
  await nothingPrivate(page);
});

test("a page whose session cookie is gone leaves the todo page for sign-in", async ({ page, context }, info) => {
  await page.goto("/login");
  await signInAtWorkos(page, info, newEmail("single-ended"));
  // Signed out in another tab, or the cookie expired: the next call finds no session.
  await context.clearCookies();
  await page.getByLabel("New todo").fill("too late");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("heading", { name: /^Sign in with/ })).toBeVisible();
  await nothingPrivate(page);
});
