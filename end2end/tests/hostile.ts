// What the hostile catalogue's cases share: clients signed in (or not) over plain HTTP, the
// server functions called as the hydrated app calls them, and the secrets they saw.
import { appendFileSync } from "node:fs";
import { type APIRequestContext, expect, request } from "@playwright/test";
import { latestLink, newEmail } from "./helpers";
import { SEEN_SECRETS, siteUrl } from "./stack";

/** A client that signed in through the real magic-link flow, over plain HTTP. */
export async function signedIn(email = newEmail("hostile")): Promise<APIRequestContext> {
  const api = await request.newContext({ baseURL: siteUrl });
  const sent = await api.post("/api/start_sign_in", { form: { email } });
  expect(sent.status()).toBe(200);
  const landing = await api.get(await latestLink(email), { headers: { Accept: "text/html" } });
  expect(landing.url()).toBe(`${siteUrl}/`);
  return api;
}

export async function anonymous(): Promise<APIRequestContext> {
  return request.newContext({ baseURL: siteUrl });
}

/** Calls a server function as the hydrated app does (a form-encoded POST, JSON back). */
export async function call(api: APIRequestContext, fn: string, form: Record<string, string> = {}) {
  const res = await api.post(`/api/${fn}`, { form, maxRedirects: 0 });
  return { status: res.status(), body: await res.json().catch(() => null) };
}

export async function addTodo(api: APIRequestContext, title: string): Promise<string> {
  const { status, body } = await call(api, "add_todo", { title });
  expect(status).toBe(200);
  return body.id as string;
}

export async function titles(api: APIRequestContext): Promise<string[]> {
  const { status, body } = await call(api, "list_todos");
  expect(status).toBe(200);
  return (body as { title: string }[]).map((t) => t.title);
}

/** Secrets and tokens seen by these cases: `server-log.check.ts` (run after every other
 *  test) makes sure none of them reached the server's log. */
export function remember(secret: string) {
  appendFileSync(SEEN_SECRETS, `${secret}\n`);
}

export async function sessionCookie(api: APIRequestContext): Promise<string> {
  const cookie = (await api.storageState()).cookies.find((c) => c.name === "ia_session");
  expect(cookie, "a session cookie").toBeDefined();
  remember(cookie!.value);
  return cookie!.value;
}

/** A client that sends exactly these cookies. */
export async function withCookies(cookies: Record<string, string>): Promise<APIRequestContext> {
  const header = Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join("; ");
  return request.newContext({ baseURL: siteUrl, extraHTTPHeaders: { Cookie: header } });
}
