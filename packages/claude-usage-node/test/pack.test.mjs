// The package as a user gets it: `npm pack`, the tarball installed into a
// fresh project, imported by name and called against the real CLI and a
// loopback server; its types compiled by TypeScript in strict mode.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { forgetTheDevelopersLogin, makeHome, makeToken, startServer } from "./helpers.mjs";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const execFileAsync = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

forgetTheDevelopersLogin();

let work;
let project;
let tarball;

function run(program, args, options = {}) {
  // npm.cmd runs only through a shell on Windows (Node refuses .cmd files without one).
  const shell = process.platform === "win32";
  return execFileSync(program, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], shell, ...options });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "claude-usage-pack-"));
  const packed = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", work], { cwd: packageDir }));
  tarball = join(work, packed[0].filename);
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project });
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

test("the tarball holds the code, the types, the README and the licence, and no tests", () => {
  const listing = JSON.parse(run(npm, ["pack", "--dry-run", "--json"], { cwd: packageDir }));
  const files = listing[0].files.map((file) => file.path).sort();
  assert.deepEqual(files, ["LICENSE", "README.md", "index.d.ts", "index.js", "package.json"]);
  assert.deepEqual(readdirSync(join(project, "node_modules", "claude-usage")).sort(), files);
});

test("installed from the tarball: resolves to the usage, rejects a 429 with RateLimitError", async () => {
  let status = 200;
  const server = await startServer(() =>
    status === 200
      ? {}
      : { status, headers: { "retry-after": "90" }, body: { type: "error", error: { type: "rate_limit_error" } } },
  );
  const token = makeToken();
  const home = makeHome({ token, baseUrl: server.url });
  try {
    const program = join(project, "consumer.mjs");
    writeFileSync(
      program,
      [
        'import { getUsage, RateLimitError, ClaudeUsageError } from "claude-usage";',
        "try {",
        "  const usage = await getUsage({ maxAge: 0 });",
        "  console.log(JSON.stringify({ ok: usage.five_hour.utilization, limits: usage.limits.length }));",
        "} catch (error) {",
        "  console.log(JSON.stringify({ name: error.name, exitCode: error.exitCode, retryAfter: error.retryAfter,",
        "    rateLimit: error instanceof RateLimitError, base: error instanceof ClaudeUsageError }));",
        "}",
      ].join("\n"),
    );
    // Asynchronously: the loopback server answers from this process's event loop.
    const consume = async (env) => {
      const { stdout, stderr } = await execFileAsync(process.execPath, [program], {
        cwd: project,
        env: { ...process.env, ...env },
      });
      assert.ok(!(stdout + stderr).includes(token));
      return JSON.parse(stdout);
    };
    assert.deepEqual(await consume(home.env), { ok: 23.5, limits: 0 });
    status = 429;
    // A cache of its own: with one, the command would show the cached data as stale instead.
    const rejected = await consume({ ...home.env, CLAUDE_USAGE_CACHE_DIR: join(home.home, "other-cache") });
    assert.equal(rejected.name, "RateLimitError");
    assert.equal(rejected.exitCode, 5);
    assert.equal(rejected.rateLimit, true);
    assert.equal(rejected.base, true);
    assert.ok(rejected.retryAfter > 60 && rejected.retryAfter <= 90, String(rejected.retryAfter));
    assert.equal(server.requests, 2);
  } finally {
    home.cleanup();
    await server.close();
  }
});

test("the types compile in a TypeScript consumer (strict) and catch a wrong use", () => {
  run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "typescript@5"], { cwd: project });
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022" },
      files: ["consumer.ts"],
    }),
  );
  const good = [
    'import getUsage, { DeadlineExceededError, RateLimitError, type UsageData, type Limit } from "claude-usage";',
    "async function main(): Promise<void> {",
    "  try {",
    "    const usage: UsageData = await getUsage({",
    '      maxAge: 60, profile: "/tmp/p", backend: "file", timeout: 5, deadline: 30, signal: AbortSignal.timeout(1000),',
    "    });",
    "    const percent: number | undefined = usage.five_hour?.utilization;",
    "    const binding: Limit | undefined = usage.limits.find((limit) => limit.is_active);",
    "    console.log(percent, binding?.group, Object.keys(usage.windows));",
    "  } catch (error) {",
    "    if (error instanceof RateLimitError) {",
    "      const wait: number | null = error.retryAfter;",
    "      const code: number | null = error.exitCode;",
    "      console.log(wait, code, error.name, error.message);",
    "    } else if (error instanceof DeadlineExceededError) {",
    "      console.log(error.exitCode);",
    "    }",
    "  }",
    "}",
    "void main();",
  ].join("\n");
  const tsc = join(project, "node_modules", "typescript", "bin", "tsc");
  writeFileSync(join(project, "consumer.ts"), good);
  const compiled = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);

  writeFileSync(join(project, "consumer.ts"), 'import { getUsage } from "claude-usage";\nvoid getUsage({ maxAge: "soon" });\n');
  const wrong = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  assert.notEqual(wrong.status, 0, "a string maxAge compiled");
  assert.match(wrong.stdout, /consumer\.ts\(2,\d+\): error TS2322/);
});
