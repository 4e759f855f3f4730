import { expect, type Page, test } from "@playwright/test";
import { addTodo, hydrated, newEmail, ready, signIn } from "./helpers";

// What JavaScript adds to pages that work without it: the title check in the browser (the
// island), and forms and links handled in place (src/enhance.js).

test.beforeEach(({}, info) => {
  test.skip(!hydrated(info), "what JavaScript adds");
});

/** Marks the window: the mark survives only if nothing reloads the page. */
async function mark(page: Page) {
  await page.evaluate(() => ((window as unknown as { mark: number }).mark = 1));
}
async function marked(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { mark?: number }).mark === 1);
}

test("a title the server would refuse is refused in the browser, without a request", async ({ page }, info) => {
  await signIn(page, info, newEmail("island"));
  const posts: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST") posts.push(r.url());
  });
  const input = page.getByLabel("New todo");
  await input.fill("   ");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("add-error")).toHaveText("Title is required.");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  await input.fill("x".repeat(501));
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("add-error")).toHaveText("Title is too long: 500 characters at most.");
  // Typing clears it.
  await input.press("End");
  await input.press("Backspace");
  await expect(page.getByTestId("add-error")).toHaveText("");
  await expect(input).toHaveAttribute("aria-invalid", "false");
  expect(posts).toEqual([]);
});

test("a form says it is busy while it posts, and the page updates in place", async ({ page }, info) => {
  await signIn(page, info, newEmail("busy"));
  await mark(page);
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/add_todo", async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel("New todo").fill("Slow one");
  await page.getByRole("button", { name: "Add" }).click();
  const busy = page.getByRole("button", { name: "Adding…" });
  await expect(busy).toBeDisabled();
  await expect(page.locator("form.add")).toHaveAttribute("aria-busy", "true");
  release();
  await expect(page.getByTestId("todo-title")).toHaveText(["Slow one"]);
  await expect(page.getByRole("button", { name: "Add" })).toBeEnabled();
  await expect(page.getByLabel("New todo")).toHaveValue("");
  expect(await marked(page)).toBe(true);
});

test("Back and Forward move between edit mode and the list, in place", async ({ page }, info) => {
  await signIn(page, info, newEmail("history"));
  await addTodo(page, "Walk the dog");
  await mark(page);
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page).toHaveURL(/\?edit=/);
  await expect(page.getByLabel("Title")).toBeFocused();
  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByLabel("Title")).toHaveCount(0);
  await page.goForward();
  await expect(page.getByLabel("Title")).toHaveValue("Walk the dog");
  expect(await marked(page)).toBe(true);
});

test("focus stays on the control that was used, in the row it was used in", async ({ page }, info) => {
  await signIn(page, info, newEmail("focus"));
  await addTodo(page, "First");
  await addTodo(page, "Second");
  await page.getByRole("button", { name: "Mark “First” as done" }).click();
  await expect(page.getByRole("button", { name: "Mark “First” as not done" })).toBeFocused();
  // Enter in the add field: the field keeps focus for the next todo.
  await page.getByLabel("New todo").fill("Third");
  await page.getByLabel("New todo").press("Enter");
  await expect(page.getByTestId("todo-title")).toHaveText(["Third", "Second", "First"]);
  await expect(page.getByLabel("New todo")).toBeFocused();
});

test("a button's value is posted in place even where FormData takes no submitter", async ({ page }, info) => {
  // Browsers older than spring 2023 (before Chrome 112, Safari 16.4, Firefox 111) ignore
  // FormData's second argument: the toggle's new state and the chosen theme are the clicked
  // button's.
  await page.addInitScript(() => {
    const Original = window.FormData;
    window.FormData = class extends Original {
      constructor(form?: HTMLFormElement) {
        super(form);
      }
    };
  });
  await signIn(page, info, newEmail("submitter"));
  await addTodo(page, "Old browser");
  await mark(page);
  await page.getByRole("button", { name: "Mark “Old browser” as done" }).click();
  await expect(page.getByRole("button", { name: "Mark “Old browser” as not done" })).toBeVisible();
  await expect(page.getByTestId("count")).toHaveText("1 todo · 1 done");
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/set_theme"));
  await page.getByRole("button", { name: "Dark" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect((await saved).request().postData()).toContain("theme=dark");
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("empty")).toBeVisible();
  expect(await marked(page)).toBe(true);
});

test("when the server cannot be reached, the form says so, keeps what was typed and is not posted twice", async ({
  page,
}, info) => {
  await signIn(page, info, newEmail("unreachable"));
  await mark(page);
  // The server down: every request to it refused, the post and the check after it.
  const posts: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST") posts.push(new URL(r.url()).pathname);
  });
  await page.route("**/*", (route) => route.abort("connectionrefused"));
  await page.getByLabel("New todo").fill("Posted later");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "We couldn't reach the server." })).toBeVisible();
  await expect(page.getByLabel("New todo")).toHaveValue("Posted later");
  await expect(page.getByRole("button", { name: "Add" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Add" })).toBeFocused();
  // Back up: posted once more only when asked.
  await page.unroute("**/*");
  expect(posts).toEqual(["/api/add_todo"]);
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("todo-title")).toHaveText(["Posted later"]);
  expect(posts).toEqual(["/api/add_todo", "/api/add_todo"]);
  expect(await marked(page)).toBe(true);
});

test("a post refused with a page of its own shows that page, and the address stays", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  await mark(page);
  // Over the server's 64 KiB body limit: refused with a short page of its own (413).
  await page.getByLabel("Email address").fill("x".repeat(70 * 1024));
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(
    page.getByRole("alert").filter({ hasText: "That is more than the app accepts in one request." }),
  ).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  expect(await marked(page)).toBe(true);
});

test("a change of the #fragment alone fetches nothing", async ({ page }, info) => {
  await signIn(page, info, newEmail("fragment"));
  await addTodo(page, "Stay put");
  const fetched: string[] = [];
  page.on("request", (r) => {
    if (r.resourceType() === "fetch") fetched.push(new URL(r.url()).pathname + new URL(r.url()).search);
  });
  await page.evaluate(() => (location.hash = "top"));
  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  // Something that does fetch, to be sure anything fetched before it was seen first.
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page.getByLabel("Title")).toBeVisible();
  expect(fetched[0]).toMatch(/^\/\?edit=/);
});

test("a page swapped out is let go: the DOM does not grow with each swap", async ({ page }, info) => {
  await signIn(page, info, newEmail("release"));
  for (const title of ["One", "Two", "Three", "Four", "Five"]) await addTodo(page, title);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  // DOM nodes alive after a full collection: detached ones that something still holds count too.
  // Twice: what the first frees may only be swept in the second.
  const nodes = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    await cdp.send("HeapProfiler.collectGarbage");
    const { metrics } = await cdp.send("Performance.getMetrics");
    return metrics.find((m) => m.name === "Nodes")?.value ?? NaN;
  };
  // Each round trip swaps two pages in, each with its own title-check islands.
  const editAndCancel = async (times: number) => {
    for (let i = 0; i < times; i++) {
      await page.getByTestId("todo").filter({ hasText: "Three" }).getByRole("link", { name: "Edit" }).click();
      await expect(page.getByLabel("Title")).toBeVisible();
      await page.getByLabel("Title").press("Escape");
      await expect(page.getByLabel("Title")).toHaveCount(0);
    }
  };
  await editAndCancel(3);
  const before = await nodes();
  const perPage = await page.evaluate(() => {
    const all = document.createNodeIterator(document, NodeFilter.SHOW_ALL);
    let count = 0;
    while (all.nextNode()) count++;
    return count;
  });
  await editAndCancel(20);
  const after = await nodes();
  // Forty pages swapped in since `before`: kept, they would add forty pages' worth of nodes.
  expect(after - before).toBeLessThan(perPage * 2);
});
