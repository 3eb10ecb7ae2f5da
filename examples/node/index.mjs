#!/usr/bin/env node
// Which limit binds you now? Runs `claude-usage --json`, reads its `limits`
// list and prints the entry with `is_active: true`, e.g.
//
//   binding: weekly_scoped (Opus) 100% — resets 2026-09-04T00:00:00+00:00
//
// or "no binding limit". When claude-usage fails, its one-line error is
// printed and its exit code (see `claude-usage --help`) becomes ours.
//
// No dependencies: only Node's standard library.

import { spawn } from "node:child_process";

// The command to run: a program and its arguments, separated by spaces
// (no shell quoting), e.g. "python3 -m claude_usage".
const command = (process.env.CLAUDE_USAGE_COMMAND || "claude-usage").trim().split(/\s+/);
const [program, ...args] = command;

/** "100", "104.5": at most one decimal, as claude-usage itself prints percentages. */
function percent(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The line for the binding limit, or null when there is none. */
function bindingLine(usage) {
  const limit = (usage.limits ?? []).find((entry) => entry.is_active === true);
  if (limit === undefined) {
    return null;
  }
  let line = `binding: ${limit.kind}`;
  if (limit.model) {
    line += ` (${limit.model})`;
  }
  line += ` ${percent(limit.percent)}%`;
  if (limit.resets_at) {
    line += ` — resets ${limit.resets_at}`;
  }
  return line;
}

function main() {
  const child = spawn(program, [...args, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  const stdout = [];
  const stderr = [];
  child.stdout.on("data", (chunk) => stdout.push(chunk));
  child.stderr.on("data", (chunk) => stderr.push(chunk));

  let started = true;
  child.on("error", (error) => {
    // The program could not be started at all (not installed, not executable).
    started = false;
    process.stderr.write(`cannot run ${JSON.stringify(program)}: ${error.message}\n`);
    process.exitCode = 127;
  });

  child.on("close", (code) => {
    if (!started) {
      return; // reported by the "error" handler
    }
    // claude-usage's warnings (e.g. stale data) and errors: one line each.
    const warnings = Buffer.concat(stderr).toString("utf8");
    if (warnings) {
      process.stderr.write(warnings.endsWith("\n") ? warnings : `${warnings}\n`);
    }
    if (code !== 0) {
      process.exitCode = code ?? 1; // killed by a signal: 1
      return;
    }
    let usage;
    try {
      usage = JSON.parse(Buffer.concat(stdout).toString("utf8"));
    } catch (error) {
      process.stderr.write(`claude-usage printed something that is not JSON: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${bindingLine(usage) ?? "no binding limit"}\n`);
  });
}

main();
