#!/usr/bin/env python3
"""A minimal MCP server over stdio with only the standard library."""
import json
import os
import sys

NAME = os.environ.get("HELLO_NAME", "world")
TOOLS = [{
    "name": "greet",
    "description": "Greet the configured name",
    "inputSchema": {"type": "object", "properties": {}},
}]


def handle(req):
    method = req.get("method")
    if method == "initialize":
        return {
            "protocolVersion": req.get("params", {}).get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "hello-python", "version": "1.0.0"},
        }
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        if req["params"]["name"] == "greet":
            return {"content": [{"type": "text", "text": "Hello, %s!" % NAME}]}
        raise LookupError("unknown tool")
    raise NotImplementedError(method)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if "id" not in req:
            continue
        try:
            resp = {"jsonrpc": "2.0", "id": req["id"], "result": handle(req)}
        except NotImplementedError as e:
            resp = {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32601, "message": "method not found: %s" % e}}
        except Exception as e:  # noqa: BLE001 - report every failure to the client
            resp = {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32603, "message": str(e)}}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
