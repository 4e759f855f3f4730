import { expect, test } from "@playwright/test";
import { addTodo, hydrated, insforge, newEmail, ready, signIn } from "./helpers";

test("add, complete, edit and delete todos", async ({ page }, info) => {
  await signIn(page, info, newEmail("crud"));
  if (hydrated(info)) {
    // Survives only if nothing below reloads the page.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  }

  await addTodo(page, "Buy milk");
  await addTodo(page, "Write tests");
  // Newest first, with a count and a creation date.
  await expect(page.getByTestId("todo-title")).toHaveText(["Write tests", "Buy milk"]);
  await expect(page.getByTestId("count")).toHaveText("2 todos · 0 done");
  await expect(page.getByTestId("todo").first().locator("time")).toHaveText(/\w{3} \d{1,2}, \d{4}/);

  // Toggle done and back.
  await page.getByRole("button", { name: "Mark “Buy milk” as done" }).click();
  await expect(page.getByRole("button", { name: "Mark “Buy milk” as not done" })).toBeVisible();
  await expect(page.getByTestId("count")).toHaveText("2 todos · 1 done");

  // Inline edit: Enter saves.
  const row = page.getByTestId("todo").filter({ hasText: "Write tests" });
  await row.getByRole("link", { name: "Edit" }).click();
  const title = page.getByLabel("Title");
  await expect(title).toHaveValue("Write tests");
  await title.fill("Write more tests");
  await title.press("Enter");
  await expect(page.getByTestId("todo-title")).toHaveText(["Write more tests", "Buy milk"]);

  // An empty title is refused and the edit stays open.
  await page.getByTestId("todo").filter({ hasText: "Buy milk" }).getByRole("link", { name: "Edit" }).click();
  await page.getByLabel("Title").fill("   ");
  await page.getByLabel("Title").press("Enter");
  await expect(page.getByTestId("edit-error")).toHaveText("Title is required.");

  if (hydrated(info)) {
    // Escape cancels (without JavaScript, Cancel is a link).
    await page.getByLabel("Title").press("Escape");
  } else {
    await page.getByRole("link", { name: "Cancel" }).click();
  }
  await expect(page.getByLabel("Title")).toHaveCount(0);
  await expect(page.getByTestId("todo-title")).toHaveText(["Write more tests", "Buy milk"]);

  // Delete.
  await page.getByTestId("todo").filter({ hasText: "Write more tests" }).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("todo-title")).toHaveText(["Buy milk"]);
  await expect(page.getByTestId("count")).toHaveText("1 todo · 1 done");

  if (hydrated(info)) {
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  }

  // A reload shows the same state: it lives in InsForge, not in the page.
  await page.reload();
  await expect(page.getByTestId("todo-title")).toHaveText(["Buy milk"]);
  await expect(page.getByRole("button", { name: "Mark “Buy milk” as not done" })).toBeVisible();
});

test("the add form explains what is wrong and keeps the text", async ({ page }, info) => {
  await signIn(page, info, newEmail("validate"));
  const input = page.getByLabel("New todo");
  await input.fill("   ");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("add-error")).toHaveText("Title is required.");

  const long = "x".repeat(501);
  await input.fill(long);
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("add-error")).toHaveText("Title is too long: 500 characters at most.");
  await expect(input).toHaveValue(long);
  await expect(page.getByTestId("empty")).toBeVisible();

  await input.fill("x".repeat(500));
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("todo")).toHaveCount(1);
  await expect(page.getByTestId("add-error")).toHaveText("");
});

test("two users never see each other's todos", async ({ browser }, info) => {
  const js = hydrated(info);
  const alice = await browser.newContext({ javaScriptEnabled: js });
  const bob = await browser.newContext({ javaScriptEnabled: js });
  const a = await alice.newPage();
  const b = await bob.newPage();
  await signIn(a, info, newEmail("alice"));
  await signIn(b, info, newEmail("bob"));
  await addTodo(a, "Alice's secret");
  await addTodo(b, "Bob's secret");
  await a.reload();
  await b.reload();
  await expect(a.getByTestId("todo-title")).toHaveText(["Alice's secret"]);
  await expect(b.getByTestId("todo-title")).toHaveText(["Bob's secret"]);
  await alice.close();
  await bob.close();
});

test("an InsForge outage shows a banner, and Retry recovers", async ({ page }, info) => {
  await signIn(page, info, newEmail("outage"));
  await addTodo(page, "Still here");
  await insforge("stop");
  try {
    await page.reload();
    await ready(page, info);
    const banner = page.getByTestId("load-error");
    await expect(banner).toContainText("We couldn't reach your todos. Please try again in a moment.");
    // Adding while InsForge is away says so and keeps the text.
    await page.getByLabel("New todo").fill("Added during the outage");
    await page.getByRole("button", { name: "Add" }).click();
    await expect(page.getByTestId("add-error")).toHaveText(
      "We couldn't reach your todos. Please try again in a moment.",
    );
    await expect(page.getByLabel("New todo")).toHaveValue("Added during the outage");
  } finally {
    await insforge("start");
  }
  if (hydrated(info)) {
    // Retry fetches again in place, without reloading the page.
    await ready(page, info);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
  }
  await page.getByRole("link", { name: "Retry" }).click();
  await expect(page.getByTestId("load-error")).toHaveCount(0);
  if (hydrated(info)) {
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
  }
  await expect(page.getByTestId("todo-title")).toHaveText(["Still here"]);
});

test("a title with a control or text-direction character is refused, and what was typed stays", async ({ page }, info) => {
  await signIn(page, info, newEmail("bidi"));
  const message = "Titles can't contain control characters or text-direction overrides.";
  // A right-to-left override would show "exe.png" for a title that reads "gnp.exe".
  const typed = "Invoice \u202Egnp.exe";
  await page.getByLabel("New todo").fill(typed);
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("add-error")).toHaveText(message);
  await expect(page.getByLabel("New todo")).toHaveValue(typed);
  await expect(page.getByTestId("empty")).toBeVisible();

  // A NUL, which no keyboard types, posted as the form posts it: refused with its own message
  // (PostgreSQL's refusal used to come back as "Title is required").
  const res = await page.request.post("/api/add_todo", {
    form: { title: "a\u0000b" },
    headers: { Accept: "text/html" },
    maxRedirects: 0,
  });
  expect(res.status()).toBeGreaterThanOrEqual(300);
  expect(res.status()).toBeLessThan(400);
  const to = res.headers()["location"];
  expect(to).toContain("error=title_invalid");
  await page.goto(to);
  await expect(page.getByTestId("add-error")).toHaveText(message);
  await expect(page.getByTestId("empty")).toBeVisible();
});
