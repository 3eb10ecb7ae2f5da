// claude-usage for Node.js: runs the claude-usage CLI (`claude-usage --json`)
// and resolves to its document. The Python CLI is the one implementation:
// the token, the request, the shared cache and its back-off all stay there;
// nothing here reads credentials or talks to the network.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

/** Every failure of getUsage: `.exitCode` is the CLI's (see `claude-usage --help`). */
export class ClaudeUsageError extends Error {
  constructor(message, { exitCode = null, type = null } = {}) {
    super(message);
    // The subclass's own name ("RateLimitError", ...), as JavaScript's errors name themselves.
    this.name = new.target.name;
    /** The CLI's exit code, or null when it did not exit (not found, killed). */
    this.exitCode = exitCode;
    /** The CLI's name for the error (e.g. "CredentialsNotFoundError"), when it said. */
    this.type = type;
  }
}

/** Exit 2: a bad option or configuration. */
export class UsageError extends ClaudeUsageError {}

/** Exit 3: no usable credentials (not logged in, expired, no user:profile scope, no backend). */
export class CredentialsError extends ClaudeUsageError {}

/** Exit 4: the API rejected the token (401, or 403 with an Anthropic error). */
export class ApiRejectedError extends ClaudeUsageError {}

/** Exit 5: the endpoint is limiting requests; `.retryAfter` in seconds when known. */
export class RateLimitError extends ClaudeUsageError {
  constructor(message, details = {}) {
    super(message, details);
    this.retryAfter = details.retryAfter ?? null;
  }
}

/** Exit 6: network, server (5xx) or response-format problem. */
export class NetworkError extends ClaudeUsageError {}

/** The claude-usage command could not be started at all. */
export class CommandNotFoundError extends ClaudeUsageError {}

/** The command did not finish within `deadline` seconds and was stopped. */
export class DeadlineExceededError extends ClaudeUsageError {}

/** Seconds a run may take at most unless `deadline` says otherwise: the
 * command's own waits (the request, a credential store) end well before. */
const DEFAULT_DEADLINE = 60;

const BY_EXIT_CODE = {
  2: UsageError,
  3: CredentialsError,
  4: ApiRejectedError,
  5: RateLimitError,
  6: NetworkError,
};

/**
 * The command as [program, ...args]: an array as given; a string that names
 * an existing file as that one program (a path may hold spaces); any other
 * string split on whitespace. An empty CLAUDE_USAGE_COMMAND counts as unset.
 */
function commandOf(command) {
  const fromEnv = process.env.CLAUDE_USAGE_COMMAND?.trim() ? process.env.CLAUDE_USAGE_COMMAND : undefined;
  const value = command ?? fromEnv ?? "claude-usage";
  const text = Array.isArray(value) ? null : String(value).trim();
  const parts = text === null ? value.map(String) : existsSync(text) ? [text] : text.split(/\s+/);
  if (parts.length === 0 || parts[0] === "") {
    throw new UsageError("getUsage: `command` is empty", { exitCode: null });
  }
  return parts;
}

function seconds(name, value) {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`getUsage: \`${name}\` must be a number of seconds, 0 or more`, { exitCode: null });
  }
  return String(value);
}

function argumentsOf(options) {
  const args = ["--json"];
  if (options.maxAge !== undefined && options.maxAge !== null) {
    args.push("--max-age", seconds("maxAge", options.maxAge));
  }
  if (options.timeout !== undefined && options.timeout !== null) {
    args.push("--timeout", seconds("timeout", options.timeout));
  }
  if (options.profile !== undefined && options.profile !== null) {
    args.push("--config-dir", String(options.profile));
  }
  if (options.backend !== undefined && options.backend !== null) {
    args.push("--backend", String(options.backend));
  }
  return args;
}

/** The CLI's error line: with CLAUDE_USAGE_ERRORS=json, one JSON object. */
function parseError(stderr) {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  for (const line of [...lines].reverse()) {
    if (!line.startsWith("{")) {
      continue;
    }
    try {
      const document = JSON.parse(line);
      if (document && typeof document.error === "object" && document.error !== null) {
        return document.error;
      }
    } catch {
      // not our line
    }
  }
  return { message: lines.at(-1) ?? "" }; // the error line comes last, after any warning
}

/**
 * The usage, as `claude-usage --json` prints it, read through the shared
 * cache (at most one request per `maxAge` seconds for the whole machine).
 */
export function getUsage(options = {}) {
  return new Promise((resolve, reject) => {
    let program;
    let args;
    let deadline;
    try {
      [program, ...args] = commandOf(options.command);
      args = [...args, ...argumentsOf(options)];
      deadline = Number(seconds("deadline", options.deadline ?? DEFAULT_DEADLINE));
    } catch (error) {
      reject(error);
      return;
    }
    if (options.signal?.aborted) {
      reject(options.signal.reason);
      return;
    }
    const child = spawn(program, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...(options.env ?? {}), CLAUDE_USAGE_ERRORS: "json" },
      windowsHide: true,
    });
    let stopped = null; // why the child was stopped, when it was
    const stop = (why) => {
      if (stopped === null) {
        stopped = why;
        child.kill("SIGTERM");
      }
    };
    const timer = setTimeout(
      () =>
        stop(
          new DeadlineExceededError(
            `claude-usage did not finish within ${deadline} s and was stopped (the \`deadline\` option)`,
          ),
        ),
      deadline * 1000,
    );
    const onAbort = () => stop(options.signal.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const stdout = [];
    const stderr = [];
    child.stdout.on("data", (chunk) => stdout.push(chunk));
    child.stderr.on("data", (chunk) => stderr.push(chunk));
    let failed = false;
    child.on("error", (error) => {
      failed = true;
      settle();
      const why = error.code === "ENOENT" ? "was not found" : `could not be started (${error.code ?? error.message})`;
      reject(
        new CommandNotFoundError(
          `${JSON.stringify(program)} ${why}: install it with \`pip install claude-usage\`, ` +
            "or pass `command` (or set CLAUDE_USAGE_COMMAND) to where it is",
        ),
      );
    });
    child.on("close", (code, signal) => {
      if (failed) {
        return;
      }
      settle();
      if (stopped !== null) {
        reject(stopped);
        return;
      }
      if (code === 0) {
        const data = Buffer.concat(stdout);
        try {
          resolve(JSON.parse(data.toString("utf8")));
        } catch {
          // Not the parser's words: they would quote the output, over several lines.
          reject(
            new NetworkError(`claude-usage printed something that is not JSON (${data.length} bytes)`, {
              exitCode: 0,
            }),
          );
        }
        return;
      }
      if (code === null) {
        reject(new ClaudeUsageError(`claude-usage was stopped by ${signal}`));
        return;
      }
      const said = parseError(Buffer.concat(stderr).toString("utf8"));
      const Class = BY_EXIT_CODE[code] ?? ClaudeUsageError;
      const retryAfter = typeof said.retry_after === "number" ? said.retry_after : null;
      const message = said.message || `claude-usage exited with ${code}`;
      reject(new Class(message, { exitCode: code, type: said.type ?? null, retryAfter }));
    });
  });
}

export default getUsage;
