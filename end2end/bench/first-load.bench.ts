import { test } from "@playwright/test";
import { type Load, weigh } from "../tests/weigh";

const app = process.env.BENCH_APP ?? "";
const [cookieName, ...rest] = (process.env.BENCH_COOKIE ?? "").split("=");
const cookieValue = rest.join("=");
const RUNS = 5;

// Printed lines start with "BENCH " for scripts/bench.sh to keep.
const say = (line: string) => console.log(`BENCH ${line}`);
const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The sign-in page has no island: nothing hydrates there.
for (const [name, path, signedIn] of [
  ["sign-in page", "/login", false],
  ["signed-in todo page", "/", true],
] as const) {
  const hydrates = signedIn;
  test(name, async ({ browser }) => {
    test.skip(!app, "BENCH_APP is not set: run scripts/bench.sh");
    const cold: Load[] = [];
    let repeat: Load | undefined;
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      if (signedIn) {
        await context.addCookies([{ name: cookieName, value: cookieValue, url: app }]);
      }
      cold.push(await weigh(context, app + path, hydrates));
      repeat ??= await weigh(context, app + path, hydrates);
      await context.close();
    }
    const first = cold[0];
    say(`${name} (${path}), first load with a cold cache: ${first.fetched.length} requests, ` +
      `${kb(first.wire)} received (${kb(first.raw)} decoded)`);
    for (const f of first.fetched) {
      say(`  ${f.status} ${new URL(f.url).pathname.padEnd(44)} ${String(f.raw).padStart(9)} B raw ` +
        `${String(f.wire).padStart(9)} B received`);
    }
    const again = repeat?.fetched.filter((f) => f.wire > 0) ?? [];
    say(`  repeat visit: ${kb(repeat?.wire ?? 0)} received, ${again.length} request(s) over the ` +
      `network: ${again.map((f) => new URL(f.url).pathname).join(", ")}`);
    if (hydrates) {
      say(`  hydrated after ${median(cold.map((l) => l.hydratedMs ?? NaN)).toFixed(0)} ms ` +
        `(median of ${RUNS} cold loads)`);
    } else {
      say("  no island: no wasm, nothing to hydrate");
    }
    say("");
  });
}
