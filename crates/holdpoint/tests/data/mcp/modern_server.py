"""An MCP server that speaks only the 2026-07-28 revision over Streamable HTTP, for the
gateway's tests: no `initialize` and no sessions; every request carries its protocol
version and the client's capabilities in `_meta`, and the headers that mirror the body
(`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), which it checks as the revision
says. Tools: `echo` (answers its text) and `ask` (answers `input_required`, asking the
person a question).

Usage: modern_server.py PORT JOURNAL. Listens on 127.0.0.1:PORT at /mcp; appends each
request it receives (its headers, lowercase, and body) to JOURNAL as a JSON line.
"""

import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "2026-07-28"
META = "io.modelcontextprotocol/"


def decoded(value):
    """A header value, its `=?base64?…?=` form decoded."""
    if value and value.startswith("=?base64?") and value.endswith("?="):
        return base64.b64decode(value[len("=?base64?") : -2]).decode()
    return value


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, request_id, code, message):
        self.answer(status, {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})

    def do_GET(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with open(sys.argv[2], "a") as journal:
            journal.write(json.dumps({"headers": headers, "body": body}) + "\n")
        request_id = body.get("id")
        method = body.get("method")
        if request_id is None:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if method == "initialize":
            return self.error(404, request_id, -32601, "initialize is not part of MCP 2026-07-28")
        meta = (body.get("params") or {}).get("_meta") or {}
        if META + "protocolVersion" not in meta or META + "clientCapabilities" not in meta:
            return self.error(400, request_id, -32602, "_meta must carry the protocol version and the client's capabilities")
        if headers.get("mcp-protocol-version") != meta[META + "protocolVersion"]:
            return self.error(400, request_id, -32020, "MCP-Protocol-Version does not match _meta")
        if meta[META + "protocolVersion"] != VERSION:
            return self.error(400, request_id, -32022, "Unsupported protocol version")
        if decoded(headers.get("mcp-method")) != method:
            return self.error(400, request_id, -32020, "Mcp-Method does not match the body")
        params = body.get("params") or {}
        if method in ("tools/call", "resources/read", "prompts/get"):
            name = params.get("name", params.get("uri"))
            if decoded(headers.get("mcp-name")) != name:
                return self.error(400, request_id, -32020, "Mcp-Name does not match the body")
        if method == "server/discover":
            result = {
                "resultType": "complete",
                "supportedVersions": [VERSION],
                "capabilities": {"tools": {}},
                "ttlMs": 60000,
                "cacheScope": "public",
                "_meta": {META + "serverInfo": {"name": "holdpoint-test-modern", "version": "1"}},
            }
        elif method == "tools/list":
            schema = {"type": "object", "properties": {"text": {"type": "string"}}}
            result = {
                "resultType": "complete",
                "tools": [
                    {"name": "echo", "inputSchema": schema},
                    {"name": "ask", "inputSchema": schema},
                ],
                "ttlMs": 60000,
                "cacheScope": "public",
            }
        elif method == "tools/call" and params.get("name") == "echo":
            text = (params.get("arguments") or {}).get("text", "")
            result = {"resultType": "complete", "content": [{"type": "text", "text": "echo: " + text}]}
        elif method == "tools/call" and params.get("name") == "ask":
            result = {
                "resultType": "input_required",
                "inputRequests": {
                    "q": {
                        "method": "elicitation/create",
                        "params": {"message": "Which one?", "requestedSchema": {"type": "object", "properties": {}}},
                    }
                },
            }
        else:
            return self.error(404, request_id, -32601, "Method not found")
        self.answer(200, {"jsonrpc": "2.0", "id": request_id, "result": result})


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
