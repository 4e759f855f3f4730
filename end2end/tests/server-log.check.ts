// Runs after every other test (the "server-log" project depends on both others): the app's
// log holds none of the secrets in its settings, no JWT, and none of the session cookies,
// links' tokens and codes the hostile catalogue saw.
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { APP_LOG, SEEN_SECRETS, stackDir } from "./stack";

test("the server's log holds no token, cookie or secret", () => {
  const log = readFileSync(APP_LOG, "utf8");
  expect(log).toContain("signed in");
  const env = readFileSync(`${__dirname}/../../${stackDir}/app.env`, "utf8");
  const secrets = [...env.matchAll(/^\w*(SECRET|API_KEY|ANON_KEY)=(.+)$/gm)].map((m) => m[2]);
  expect(secrets.length).toBeGreaterThan(5);
  const seen = existsSync(SEEN_SECRETS)
    ? readFileSync(SEEN_SECRETS, "utf8").split("\n").filter(Boolean)
    : [];
  for (const value of [...secrets, ...seen]) {
    expect(log.includes(value), `a secret of ${value.length} characters is in the log`).toBe(false);
  }
  expect(log).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
});
