// Shared by the tests: a loopback stand-in of the usage endpoint, a logged-in
// HOME (Claude Code's credentials file) and the environment the real
// claude-usage CLI reads. Nothing here reaches the internet.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

/** A fresh token of the real shape, so a leak check cannot be fooled by a constant. */
export function makeToken() {
  return `sk-ant-oat01-${randomBytes(54).toString("base64url")}`;
}

/** A body with a 5-hour and a 7-day window and one binding limit, resets far ahead. */
export function usageBody() {
  return {
    five_hour: { utilization: 23.5, resets_at: "2099-11-25T17:00:00+00:00" },
    seven_day: { utilization: 41.0, resets_at: "2099-11-30T06:00:00+00:00" },
    seven_day_opus: null,
    extra_usage: null,
    a_key_added_later: { anything: [1, 2, 3] },
  };
}

/**
 * A loopback HTTP server answering GET /api/oauth/usage with what `reply()`
 * returns ({status, body, headers}); `requests` counts what reached it.
 */
export async function startServer(reply) {
  const state = { requests: 0, authorizations: [] };
  const server = createServer((request, response) => {
    if (request.method !== "GET" || !request.url.startsWith("/api/oauth/usage")) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end('{"error": "not found"}');
      return;
    }
    state.requests += 1;
    state.authorizations.push(request.headers.authorization ?? null);
    const { status = 200, body = usageBody(), headers = {} } = reply(state) ?? {};
    const text = typeof body === "string" ? body : JSON.stringify(body);
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(text);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  state.url = `http://127.0.0.1:${port}`;
  state.close = () => new Promise((resolve) => server.close(resolve));
  return state;
}

/**
 * A temporary HOME, logged in (unless `loggedIn` is false) with `token` in
 * Claude Code's credentials file, and the environment that points the CLI at
 * `baseUrl` with a cache of its own.
 */
export function makeHome({ token, baseUrl, loggedIn = true }) {
  const home = mkdtempSync(join(tmpdir(), "claude-usage-node-"));
  if (loggedIn) {
    const claude = join(home, ".claude");
    mkdirSync(claude, { recursive: true });
    const blob = {
      claudeAiOauth: {
        accessToken: token,
        refreshToken: `sk-ant-ort01-${"r".repeat(40)}`,
        expiresAt: 4_102_444_800_000,
        scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
        subscriptionType: "max",
        rateLimitTier: "default_claude_max_20x",
      },
    };
    writeFileSync(join(claude, ".credentials.json"), JSON.stringify(blob), { mode: 0o600 });
  }
  const env = {
    HOME: home,
    XDG_CACHE_HOME: join(home, ".cache"),
    CLAUDE_USAGE_CACHE_DIR: join(home, "cache"),
    CLAUDE_USAGE_BASE_URL: baseUrl,
    CLAUDE_USAGE_BACKEND: "file",
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** The tests pick their own profile and token: a developer's environment must not. */
export function forgetTheDevelopersLogin() {
  for (const name of ["CLAUDE_CONFIG_DIR", "CLAUDE_SECURESTORAGE_CONFIG_DIR", "CLAUDE_CODE_OAUTH_TOKEN"]) {
    delete process.env[name];
  }
}
