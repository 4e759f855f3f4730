import { expect, test } from "@playwright/test";
import { hydrated, newEmail, signIn } from "./helpers";
import { siteUrl } from "./stack";
import { type Load, weigh } from "./weigh";

// What a first visit may download, as Chromium receives it with a cold cache (headers
// included): 75 KB for the todo page (its wasm hydrates the title fields' island) and 40 KB for
// the sign-in page, which has no island and loads no wasm. scripts/bench.sh prints the figures
// (54.7 KB and 7.6 KB when these budgets were set).
const BUDGET = { todos: 75_000, signIn: 40_000 };
const TODOS = 20;

function describe(load: Load): string {
  return load.fetched.map((f) => `${new URL(f.url).pathname} ${f.wire} B`).join(", ");
}

test.beforeEach(({}, info) => {
  test.skip(!hydrated(info), "the budget is for pages with their browser half");
});

test("the sign-in page's first load stays within its budget, and a second downloads only the page", async ({
  browser,
}) => {
  const context = await browser.newContext();
  // No islands on the sign-in page: it loads no wasm, and never hydrates.
  const first = await weigh(context, `${siteUrl}/login`, false);
  expect(first.wire, describe(first)).toBeLessThanOrEqual(BUDGET.signIn);
  // Only the script every page has (enhance.js): no wasm, nor wasm-bindgen's module.
  expect(first.fetched.filter((f) => /\.wasm$|\/insforge-auth\.[^/]*\.js$/.test(f.url)), describe(first)).toEqual([]);
  const again = await weigh(context, `${siteUrl}/login`, false);
  expect(again.fetched.filter((f) => f.wire > 0).map((f) => new URL(f.url).pathname)).toEqual(["/login"]);
  await context.close();
});

test(`the todo page's first load with ${TODOS} todos stays within its budget, and a second downloads only the page`, async ({
  page,
  browser,
}, info) => {
  await signIn(page, info, newEmail("budget"));
  for (let i = 0; i < TODOS; i++) {
    const res = await page.request.post("/api/add_todo", { form: { title: `Budget todo ${i}` } });
    expect(res.ok()).toBeTruthy();
  }
  const context = await browser.newContext();
  await context.addCookies(await page.context().cookies());
  const first = await weigh(context, `${siteUrl}/`, true);
  expect(first.fetched[0].raw, "the page lists the todos").toBeGreaterThan(TODOS * 300);
  expect(first.wire, describe(first)).toBeLessThanOrEqual(BUDGET.todos);
  const again = await weigh(context, `${siteUrl}/`, true);
  expect(again.fetched.filter((f) => f.wire > 0).map((f) => new URL(f.url).pathname)).toEqual(["/"]);
  await context.close();
});
