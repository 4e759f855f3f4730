// Where the test stack listens: ports of their own, so a development stack (scripts/dev.sh)
// can keep running beside the tests.
export const ports = {
  app: 3100,
  // A second instance of the app that offers WorkOS only (single.spec.ts).
  single: 3101,
  pg: 54430,
  insforge: 7230,
  stytch: 7240,
  // Auth0, Kinde, Clerk and the plain issuer ("sso") on this port and the three after it.
  oidc: 7241,
  workos: 7245,
  control: 7299,
};
export const siteUrl = `http://127.0.0.1:${ports.app}`;
export const singleUrl = `http://127.0.0.1:${ports.single}`;
export const stackDir = "target/e2e-stack";
export const stytchUrl = `http://127.0.0.1:${ports.stytch}`;
export const workosUrl = `http://127.0.0.1:${ports.workos}`;
/** Each hosted provider's emulator, by its name in AUTH_PROVIDERS. */
export const emulatorUrls: Record<string, string> = {
  auth0: `http://127.0.0.1:${ports.oidc}`,
  kinde: `http://127.0.0.1:${ports.oidc + 1}`,
  clerk: `http://127.0.0.1:${ports.oidc + 2}`,
  sso: `http://127.0.0.1:${ports.oidc + 3}`,
  workos: workosUrl,
};
export const controlUrl = `http://127.0.0.1:${ports.control}`;
/** Secrets the hostile catalogue saw, one per line, for `server-log.check.ts`. */
export const SEEN_SECRETS = `${__dirname}/../../target/e2e-secrets.txt`;
/** The app's log, as the test stack's server writes it. */
export const APP_LOG = `${__dirname}/../../target/e2e-app.log`;
