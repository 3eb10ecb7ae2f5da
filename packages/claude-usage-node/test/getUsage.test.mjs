// getUsage against the real claude-usage CLI (on PATH, or CLAUDE_USAGE_COMMAND)
// and a loopback stand-in of the usage endpoint.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";

import {
  ApiRejectedError,
  ClaudeUsageError,
  CommandNotFoundError,
  CredentialsError,
  DeadlineExceededError,
  getUsage,
  NetworkError,
  RateLimitError,
  UsageError,
} from "../index.js";
import { forgetTheDevelopersLogin, makeHome, makeToken, startServer, usageBody } from "./helpers.mjs";

forgetTheDevelopersLogin();

let server;
let answer;
let token;
let home;

before(async () => {
  server = await startServer((state) => answer(state));
});

after(async () => {
  await server.close();
});

beforeEach(() => {
  answer = () => ({});
  server.requests = 0;
  server.authorizations.length = 0;
  token = makeToken();
  home = makeHome({ token, baseUrl: server.url });
});

afterEach(() => {
  home.cleanup();
});

/** The rejection of `promise`, which must reject. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("getUsage resolved; a rejection was expected");
}

function assertNoToken(error) {
  const text = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
  assert.ok(!text.includes(token), "the token appears in the error");
}

describe("getUsage resolves", () => {
  test("to the CLI's JSON document, read from the endpoint", async () => {
    const usage = await getUsage({ env: home.env });
    assert.equal(usage.five_hour.utilization, 23.5);
    assert.equal(usage.seven_day.utilization, 41);
    assert.equal(usage.windows.five_hour.resets_at, "2099-11-25T17:00:00+00:00");
    assert.equal(typeof usage.fetched_at, "string");
    assert.equal(server.requests, 1);
    assert.deepEqual(server.authorizations, [`Bearer ${token}`]);
  });

  test("through the shared cache: a second call within maxAge sends nothing", async () => {
    const first = await getUsage({ env: home.env, maxAge: 300 });
    const second = await getUsage({ env: home.env, maxAge: 300 });
    assert.deepEqual(second.windows, first.windows);
    assert.equal(server.requests, 1);
  });

  test("with maxAge 0, fresh data", async () => {
    await getUsage({ env: home.env });
    answer = () => ({ body: { ...usageBody(), five_hour: { utilization: 80, resets_at: "2099-11-25T17:00:00+00:00" } } });
    const usage = await getUsage({ env: home.env, maxAge: 0 });
    assert.equal(usage.five_hour.utilization, 80);
    assert.equal(server.requests, 2);
  });

  test("for the profile given, as --config-dir reads it", async () => {
    const other = makeHome({ token, baseUrl: server.url });
    try {
      const env = { ...home.env, HOME: other.home };
      // HOME has no login of its own here; the profile has.
      other.cleanup();
      const usage = await getUsage({ env, profile: `${home.home}/.claude` });
      assert.equal(usage.five_hour.utilization, 23.5);
    } finally {
      other.cleanup();
    }
  });

  test("with a command path that holds spaces, given as a string", async () => {
    const directory = join(home.home, "a folder with spaces");
    mkdirSync(directory);
    const script = join(directory, "claude-usage");
    writeFileSync(script, `#!${process.execPath}\nconsole.log(JSON.stringify({ five_hour: null, limits: [] }));\n`);
    chmodSync(script, 0o755);
    const usage = await getUsage({ env: home.env, command: script });
    assert.deepEqual(usage, { five_hour: null, limits: [] });
  });

  test("an empty CLAUDE_USAGE_COMMAND counts as unset", async () => {
    const saved = process.env.CLAUDE_USAGE_COMMAND;
    process.env.CLAUDE_USAGE_COMMAND = " ";
    try {
      // claude-usage from PATH, as without the variable.
      const usage = await getUsage({ env: home.env });
      assert.equal(usage.five_hour.utilization, 23.5);
    } finally {
      if (saved === undefined) {
        delete process.env.CLAUDE_USAGE_COMMAND;
      } else {
        process.env.CLAUDE_USAGE_COMMAND = saved;
      }
    }
  });

  test("with the command given as an array", async () => {
    const command = process.env.CLAUDE_USAGE_COMMAND?.trim().split(/\s+/) ?? ["claude-usage"];
    const usage = await getUsage({ env: home.env, command });
    assert.equal(usage.seven_day.utilization, 41);
  });
});

describe("getUsage resolves to cached data marked stale", () => {
  test("when a refresh is rate limited after a success", async () => {
    await getUsage({ env: home.env });
    answer = () => ({ status: 429, headers: { "retry-after": "60" }, body: {} });
    const usage = await getUsage({ env: home.env, maxAge: 0 });
    assert.equal(usage.stale, true);
    assert.equal(usage.five_hour.utilization, 23.5);
    assert.equal(server.requests, 2);
  });
});

describe("getUsage rejects", () => {
  test("a 429 with RateLimitError, exit code 5 and retryAfter", async () => {
    answer = () => ({
      status: 429,
      headers: { "retry-after": "120" },
      body: { type: "error", error: { type: "rate_limit_error", message: "Rate limited" } },
    });
    const error = await rejection(getUsage({ env: home.env }));
    assert.ok(error instanceof RateLimitError, `${error.name}: ${error.message}`);
    assert.ok(error instanceof ClaudeUsageError);
    assert.equal(error.name, "RateLimitError");
    assert.equal(error.exitCode, 5);
    assert.ok(error.retryAfter > 100 && error.retryAfter <= 120, String(error.retryAfter));
    assert.match(error.message, /429/);
    assert.ok(!error.message.includes("\n"));
    assertNoToken(error);
  });

  test("a held-back call after a 429 with RateLimitError, sending nothing", async () => {
    answer = () => ({ status: 429, headers: { "retry-after": "600" }, body: {} });
    await rejection(getUsage({ env: home.env }));
    const error = await rejection(getUsage({ env: home.env, maxAge: 0 }));
    assert.ok(error instanceof RateLimitError, `${error.name}: ${error.message}`);
    assert.equal(error.exitCode, 5);
    assert.ok(error.retryAfter > 500, String(error.retryAfter));
    assert.equal(server.requests, 1);
  });

  test("a 401 with ApiRejectedError, exit code 4", async () => {
    answer = () => ({
      status: 401,
      body: { type: "error", error: { type: "authentication_error", message: "Invalid bearer token" } },
    });
    const error = await rejection(getUsage({ env: home.env }));
    assert.ok(error instanceof ApiRejectedError, `${error.name}: ${error.message}`);
    assert.equal(error.name, "ApiRejectedError");
    assert.equal(error.exitCode, 4);
    assertNoToken(error);
  });

  test("a 500 with NetworkError, exit code 6", async () => {
    answer = () => ({ status: 500, body: "<html>oops</html>" });
    const error = await rejection(getUsage({ env: home.env }));
    assert.ok(error instanceof NetworkError, `${error.name}: ${error.message}`);
    assert.equal(error.exitCode, 6);
    assertNoToken(error);
  });

  test("no login with CredentialsError, exit code 3, sending nothing", async () => {
    const nobody = makeHome({ token, baseUrl: server.url, loggedIn: false });
    try {
      const error = await rejection(getUsage({ env: nobody.env }));
      assert.ok(error instanceof CredentialsError, `${error.name}: ${error.message}`);
      assert.equal(error.name, "CredentialsError");
      assert.equal(error.exitCode, 3);
      assert.equal(typeof error.type, "string");
      assert.ok(error.message.length > 0 && !error.message.includes("\n"));
      assert.equal(server.requests, 0);
    } finally {
      nobody.cleanup();
    }
  });

  test("an unknown backend with CredentialsError, exit code 3, naming it", async () => {
    const error = await rejection(getUsage({ env: home.env, backend: "no-such-backend" }));
    assert.ok(error instanceof CredentialsError, `${error.name}: ${error.message}`);
    assert.equal(error.exitCode, 3);
    assert.match(error.message, /no-such-backend/);
    assert.equal(server.requests, 0);
  });

  test("an option the CLI refuses with UsageError, exit code 2, in the CLI's words", async () => {
    const error = await rejection(getUsage({ env: home.env, timeout: 0 }));
    assert.ok(error instanceof UsageError, `${error.name}: ${error.message}`);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /timeout must be a positive number/);
    assert.equal(server.requests, 0);
  });

  test("a bad option before running anything, with UsageError", async () => {
    for (const options of [{ maxAge: -1 }, { timeout: "soon" }, { maxAge: Number.NaN }, { command: "  " }]) {
      const error = await rejection(getUsage({ env: home.env, ...options }));
      assert.ok(error instanceof UsageError, `${JSON.stringify(options)}: ${error.name}`);
      assert.equal(error.exitCode, null);
    }
    assert.equal(server.requests, 0);
  });

  test("a missing command with CommandNotFoundError naming pip install claude-usage", async () => {
    const error = await rejection(getUsage({ env: home.env, command: "/nonexistent/claude-usage" }));
    assert.ok(error instanceof CommandNotFoundError, `${error.name}: ${error.message}`);
    assert.equal(error.exitCode, null);
    assert.match(error.message, /pip install claude-usage/);
    assert.match(error.message, /\/nonexistent\/claude-usage/);
  });

  test("a command that runs past the deadline with DeadlineExceededError, stopping it", async () => {
    const script = join(home.home, "hangs.mjs");
    writeFileSync(script, "setTimeout(() => {}, 30000);\n");
    const started = Date.now();
    const error = await rejection(getUsage({ env: home.env, command: [process.execPath, script], deadline: 0.5 }));
    assert.ok(error instanceof DeadlineExceededError, `${error.name}: ${error.message}`);
    assert.equal(error.exitCode, null);
    assert.match(error.message, /within 0\.5 s/);
    assert.ok(Date.now() - started < 10000, "the call waited for the command");
  });

  test("an aborted signal with its reason, stopping the command", async () => {
    const script = join(home.home, "hangs.mjs");
    writeFileSync(script, "setTimeout(() => {}, 30000);\n");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await rejection(getUsage({ env: home.env, command: [process.execPath, script], signal: controller.signal }));
    assert.equal(error.name, "AbortError");
    assert.ok(Date.now() - started < 10000);
    const already = await rejection(getUsage({ env: home.env, signal: AbortSignal.abort() }));
    assert.equal(already.name, "AbortError");
    assert.equal(server.requests, 0);
  });

  test("output that is not JSON with NetworkError, in one line", async () => {
    const script = join(home.home, "not-json.mjs");
    writeFileSync(script, "console.log('hello');\nconsole.log('world');\n");
    const error = await rejection(getUsage({ env: home.env, command: [process.execPath, script] }));
    assert.ok(error instanceof NetworkError, `${error.name}: ${error.message}`);
    assert.equal(error.message, "claude-usage printed something that is not JSON (12 bytes)");
    assert.equal(error.exitCode, 0);
  });

  test("the error line of a command that warned first", async () => {
    const script = join(home.home, "warns.mjs");
    writeFileSync(
      script,
      "process.stderr.write('claude-usage: warning: first\\nclaude-usage: error: second\\n'); process.exit(6);\n",
    );
    const error = await rejection(getUsage({ env: home.env, command: [process.execPath, script] }));
    assert.ok(error instanceof NetworkError);
    assert.equal(error.message, "claude-usage: error: second");
  });

  test("an exit code it has no class for with ClaudeUsageError and that code", async () => {
    const script = join(home.home, "exit-70.mjs");
    writeFileSync(script, "process.stderr.write('claude-usage: error: internal\\n'); process.exit(70);\n");
    const error = await rejection(getUsage({ env: home.env, command: [process.execPath, script] }));
    assert.equal(error.constructor, ClaudeUsageError);
    assert.equal(error.exitCode, 70);
    assert.equal(error.message, "claude-usage: error: internal");
  });
});
