import { defineConfig } from "@playwright/test";
import { ports, singleUrl, stackDir, siteUrl } from "./tests/stack";

// Runs the release build against a throwaway local stack (PostgreSQL, the InsForge stand-in
// and the provider emulators), both started here and stopped when the run ends, pass or fail.
// Build first: `cargo leptos build --release` and `cargo build -p devstack` (scripts/test.sh).
export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // One stack, and one test takes InsForge down on purpose: run one test at a time.
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  outputDir: "test-results",
  use: {
    baseURL: siteUrl,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright's own browsers cannot be downloaded here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "hydrated", use: { browserName: "chromium", javaScriptEnabled: true } },
    { name: "no-js", use: { browserName: "chromium", javaScriptEnabled: false } },
    // Last: reads the app's log for every secret the others saw.
    { name: "server-log", testMatch: /server-log\.check\.ts/, dependencies: ["hydrated", "no-js"] },
  ],
  webServer: [
    {
      command:
        `rm -rf ${stackDir} target/e2e-secrets.txt && exec target/debug/devstack up --dir ${stackDir}` +
        ` --pg-port ${ports.pg} --insforge-port ${ports.insforge} --stytch-port ${ports.stytch}` +
        ` --oidc-port ${ports.oidc} --workos-port ${ports.workos}` +
        ` --control-port ${ports.control} --site-url ${siteUrl} --other-site-url ${singleUrl}`,
      cwd: "..",
      url: `http://127.0.0.1:${ports.control}/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      // The app reads the stack's settings, applies the migrations, then serves.
      command:
        `bash -c 'set -a && . ${stackDir}/app.env && set +a && ` +
        `target/release/insforge-auth migrate && ` +
        // Its log is also kept in a file, which the hostile catalogue reads for secrets.
        `exec target/release/insforge-auth 2> >(tee target/e2e-app.log >&2)'`,
      cwd: "..",
      url: `${siteUrl}/login`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${ports.app}`,
        LEPTOS_SITE_ROOT: "target/site",
        LEPTOS_ENV: "PROD",
        RUST_LOG: "info",
        // Every test comes from 127.0.0.1: limits per client address would stop the suite.
        RATE_LIMIT_IP_PER_MINUTE: "1000000",
        MAGIC_LINKS_PER_IP_PER_HOUR: "1000000",
      },
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      // The same app offering one provider that signs in on its own page (WorkOS), where
      // /login goes straight to it: the stack's settings with two of them changed. The first
      // server applies the migrations.
      command:
        `bash -c 'set -a && . ${stackDir}/app.env && set +a && ` +
        `SITE_URL=${singleUrl} AUTH_PROVIDERS=workos exec target/release/insforge-auth'`,
      cwd: "..",
      url: `${singleUrl}/login?signed_out=1`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${ports.single}`,
        LEPTOS_SITE_ROOT: "target/site",
        LEPTOS_ENV: "PROD",
        RUST_LOG: "info",
        // Every test comes from 127.0.0.1: limits per client address would stop the suite.
        RATE_LIMIT_IP_PER_MINUTE: "1000000",
        MAGIC_LINKS_PER_IP_PER_HOUR: "1000000",
      },
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
  ],
});
