import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The browser half of scripts/bench.sh: against the app the bench started (BENCH_APP), with
// the session cookie of its user (BENCH_COOKIE). No stack of its own, nothing asserted.
export default defineConfig({
  testDir: "./bench",
  testMatch: /\.bench\.ts$/,
  timeout: 120_000,
  workers: 1,
  reporter: [["line"]],
  outputDir: "test-results/bench",
  use: { launchOptions: base.use?.launchOptions },
});
