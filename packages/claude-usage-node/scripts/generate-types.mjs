#!/usr/bin/env node
// Writes index.d.ts from the JSON contract, schema/usage.schema.json: one
// interface per $defs entry and `Usage` for the document, then the
// declarations of the API. `--check` exits 1 when index.d.ts differs from
// what the schema gives (the tests run it), so the types never drift.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..");
const schemaPath = process.env.CLAUDE_USAGE_SCHEMA ?? join(packageDir, "..", "..", "schema", "usage.schema.json");
const target = join(packageDir, "index.d.ts");

const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

// The names of the Python package's models: UsageData, UsageWindow, Limit, ...
const NAMES = { window: "UsageWindow" };

function pascal(name) {
  return NAMES[name] ?? name.replace(/(^|_)([a-z])/g, (_, __, letter) => letter.toUpperCase());
}

function comment(text, indent) {
  if (!text) {
    return "";
  }
  const words = text.replaceAll("*/", "* /").split(/\s+/);
  const lines = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + word.length + 1 > 100 - indent.length) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join("\n")}\n${indent} */\n`;
}

const SCALARS = { string: "string", number: "number", integer: "number", boolean: "boolean", null: "null" };

function typeOf(node) {
  if (node.$ref) {
    return pascal(node.$ref.split("/").pop());
  }
  if (node.anyOf || node.oneOf) {
    return [...new Set((node.anyOf ?? node.oneOf).map(typeOf))].join(" | ");
  }
  if (node.enum) {
    return node.enum.map((value) => JSON.stringify(value)).join(" | ");
  }
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.length === 0) {
    return "unknown";
  }
  return types
    .map((type) => {
      if (type === "array") {
        const item = node.items ? typeOf(node.items) : "unknown";
        return item.includes(" ") ? `Array<${item}>` : `${item}[]`;
      }
      if (type === "object") {
        if (node.properties) {
          throw new Error("inline objects with properties are not supported: put them in $defs");
        }
        const values = typeof node.additionalProperties === "object" ? typeOf(node.additionalProperties) : "unknown";
        return `{ [key: string]: ${values} }`;
      }
      return SCALARS[type] ?? "unknown";
    })
    .join(" | ");
}

function objectInterface(name, node) {
  const required = new Set(node.required ?? []);
  let text = comment(node.description, "");
  text += `export interface ${name} {\n`;
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    text += comment(property.description, "  ");
    text += `  ${key}${required.has(key) ? "" : "?"}: ${typeOf(property)};\n`;
  }
  if (node.additionalProperties !== false) {
    text += "  /** Properties added in later versions: ignore the ones you do not know. */\n";
    text += "  [key: string]: unknown;\n";
  }
  return `${text}}\n`;
}

const API = `
/** Options of {@link getUsage}. */
export interface GetUsageOptions {
  /** Use data from the shared cache up to this many seconds old (the CLI's --max-age; default 60). 0 asks for fresh data; a back-off the server asked for is still respected. */
  maxAge?: number;
  /** A Claude Code profile directory to read, as CLAUDE_CONFIG_DIR would (the CLI's --config-dir). */
  profile?: string;
  /** The credential backend to use, e.g. "file" or "keychain" (the CLI's --backend). */
  backend?: string;
  /** The request timeout in seconds (the CLI's --timeout). */
  timeout?: number;
  /** The claude-usage command: an array; or a string, one program when it names an existing file, else split on whitespace. Default: $CLAUDE_USAGE_COMMAND, else "claude-usage". */
  command?: string | string[];
  /** More environment variables for the command (added to process.env). */
  env?: Record<string, string>;
  /** Seconds the command may take in all before it is stopped and the call rejects with DeadlineExceededError (default 60). */
  deadline?: number;
  /** Stops the command and rejects with the signal's reason when aborted. */
  signal?: AbortSignal;
}

/** Every failure of {@link getUsage}. */
export class ClaudeUsageError extends Error {
  /** The CLI's exit code, or null when it did not exit (not found, stopped by a signal). */
  readonly exitCode: number | null;
  /** The CLI's name for the error (e.g. "CredentialsNotFoundError"), when it said. */
  readonly type: string | null;
}
/** Exit code 2: a bad option or configuration. */
export class UsageError extends ClaudeUsageError {}
/** Exit code 3: no usable credentials (not logged in, expired, no user:profile scope, no backend). */
export class CredentialsError extends ClaudeUsageError {}
/** Exit code 4: the API rejected the token (401, or 403 with an Anthropic error). */
export class ApiRejectedError extends ClaudeUsageError {}
/** Exit code 5: the endpoint is limiting requests. */
export class RateLimitError extends ClaudeUsageError {
  /** Seconds until the back-off ends, when known. */
  readonly retryAfter: number | null;
}
/** Exit code 6: network, server (5xx) or response-format problem. */
export class NetworkError extends ClaudeUsageError {}
/** The claude-usage command could not be started (install it with \`pip install claude-usage\`). */
export class CommandNotFoundError extends ClaudeUsageError {}
/** The command did not finish within \`deadline\` seconds and was stopped. */
export class DeadlineExceededError extends ClaudeUsageError {}

/** The usage, as \`claude-usage --json\` prints it, read through the shared cache. */
export function getUsage(options?: GetUsageOptions): Promise<UsageData>;
export default getUsage;
`;

function render() {
  let text = "// Generated by scripts/generate-types.mjs from schema/usage.schema.json: do not edit.\n";
  text += "// `npm run generate-types` writes it again after a change of the schema.\n\n";
  text += objectInterface("UsageData", schema);
  for (const [name, node] of Object.entries(schema.$defs ?? {})) {
    text += `\n${objectInterface(pascal(name), node)}`;
  }
  return text + API;
}

const generated = render();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // missing: differs
  }
  if (current !== generated) {
    process.stderr.write("index.d.ts is not what schema/usage.schema.json gives: run `npm run generate-types`\n");
    process.exit(1);
  }
} else {
  writeFileSync(target, generated);
}
