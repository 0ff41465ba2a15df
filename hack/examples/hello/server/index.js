#!/usr/bin/env node
// A minimal MCP server over stdio with no npm dependencies: newline-delimited
// JSON-RPC 2.0, enough of MCP for initialize, tools/list and tools/call.
"use strict";
const readline = require("readline");

const greeting = process.env.HELLO_GREETING || "Hello";
const tools = [
  {
    name: "hello",
    description: "Greet someone by name",
    inputSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
  },
  {
    name: "add",
    description: "Add two numbers",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
  },
];

function send(msg) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

function text(t) {
  return { content: [{ type: "text", text: t }] };
}

function handle(req) {
  switch (req.method) {
    case "initialize":
      return {
        protocolVersion: (req.params && req.params.protocolVersion) || "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "hello", version: "1.0.0" },
      };
    case "ping":
      return {};
    case "tools/list":
      return { tools };
    case "tools/call": {
      const args = (req.params && req.params.arguments) || {};
      if (req.params.name === "hello") return text(`${greeting}, ${args.name}!`);
      if (req.params.name === "add") return text(String(Number(args.a) + Number(args.b)));
      throw { code: -32602, message: `unknown tool ${req.params.name}` };
    }
    default:
      throw { code: -32601, message: `method not found: ${req.method}` };
  }
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    send({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    return;
  }
  if (req.id === undefined) return; // notifications need no answer
  try {
    send({ jsonrpc: "2.0", id: req.id, result: handle(req) });
  } catch (e) {
    send({ jsonrpc: "2.0", id: req.id, error: { code: e.code || -32603, message: e.message || String(e) } });
  }
});
