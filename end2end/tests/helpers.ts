import { expect, type Page, type TestInfo, request } from "@playwright/test";
import { controlUrl, stytchUrl } from "./stack";

export const hydrated = (info: TestInfo) => info.project.name === "hydrated";

let counter = 0;
/** A new user for each call: tests never share data by accident. */
export function newEmail(tag: string): string {
  counter += 1;
  return `${tag}-${Date.now()}-${process.pid}-${counter}@example.com`;
}

/** Waits until the page can be used: loaded, and when JavaScript runs, its islands (the parts
 * that act in the browser) hydrated. A page without islands loads no wasm at all. */
export async function ready(page: Page, info: TestInfo) {
  await page.waitForLoadState("load");
  if (hydrated(info) && (await page.locator("leptos-island").count()) > 0) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
}

/** The newest magic link the Stytch emulator "sent" to `email`. */
export async function latestLink(email: string): Promise<string> {
  const api = await request.newContext();
  try {
    const res = await api.get(`${stytchUrl}/dev/outbox.json`, { params: { to: email } });
    expect(res.ok()).toBeTruthy();
    const { messages } = (await res.json()) as { messages: { link: string }[] };
    expect(messages.length, `no mail for ${email}`).toBeGreaterThan(0);
    return messages[messages.length - 1].link;
  } finally {
    await api.dispose();
  }
}

/** Asks for a magic link on the sign-in page (already open) and checks the confirmation. */
export async function requestLink(page: Page, info: TestInfo, email: string) {
  await ready(page, info);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByTestId("check-email")).toContainText(email);
}

/** Signs in through the whole magic-link flow and lands on the todo page. */
export async function signIn(page: Page, info: TestInfo, email: string) {
  await page.goto("/login");
  await requestLink(page, info, email);
  await page.goto(await latestLink(email));
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await ready(page, info);
}

/** Takes the InsForge stand-in down (connections refused) or brings it back. */
export async function insforge(state: "stop" | "start") {
  const api = await request.newContext();
  try {
    const res = await api.post(`${controlUrl}/insforge/${state}`);
    expect(res.status()).toBe(204);
  } finally {
    await api.dispose();
  }
}

export async function addTodo(page: Page, title: string) {
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("todo-title").filter({ hasText: title })).toBeVisible();
}
