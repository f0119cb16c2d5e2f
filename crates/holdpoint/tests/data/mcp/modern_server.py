"""An MCP server that speaks only the 2026-07-28 revision over Streamable HTTP, for the
gateway's tests: no `initialize` and no sessions; every request carries its protocol
version and the client's capabilities in `_meta`, and the headers that mirror the body
(`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), which it checks as the revision
says. Tools: `echo` (answers its text), `ask` (answers `input_required`, asking the
person which one, with a `requestState` of its own; asked again with the answer and
that state, it answers with the choice) and `route` (answers its region and priority, which its schema marks
with `x-mcp-header`: a call must also carry them as `Mcp-Param-Region` and
`Mcp-Param-Priority`, checked as the revision says).

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


ECHO_SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}}
ROUTE_SCHEMA = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "priority": {"type": "integer", "x-mcp-header": "Priority"},
    },
}


def params_mismatch(headers, arguments):
    """Why the `Mcp-Param-*` headers of a `route` call disagree with its arguments, or
    None when they agree."""
    for key, schema in ROUTE_SCHEMA["properties"].items():
        value = arguments.get(key)
        if value is None:
            continue
        said = headers.get("mcp-param-" + schema["x-mcp-header"].lower())
        if said is None:
            return f"Mcp-Param-{schema['x-mcp-header']} is missing"
        said = decoded(said.strip(" \t"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            agrees = float(said) == float(value)
        else:
            agrees = said == value
        if not agrees:
            return f"Mcp-Param-{schema['x-mcp-header']} does not match the body"
    return None


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
        if method == "tools/call" and params.get("name") == "route":
            why = params_mismatch(headers, params.get("arguments") or {})
            if why:
                return self.error(400, request_id, -32020, why)
        if method == "server/discover":
            result = {
                "resultType": "complete",
                "supportedVersions": [VERSION],
                # Says its tool list changes, which a gateway that does not listen must
                # not pass on as a promise.
                "capabilities": {"tools": {"listChanged": True}},
                "ttlMs": 60000,
                "cacheScope": "public",
                "_meta": {META + "serverInfo": {"name": "holdpoint-test-modern", "version": "1"}},
            }
        elif method == "tools/list":
            result = {
                "resultType": "complete",
                "tools": [
                    {"name": "echo", "inputSchema": ECHO_SCHEMA},
                    {"name": "ask", "inputSchema": ECHO_SCHEMA},
                    {"name": "route", "inputSchema": ROUTE_SCHEMA},
                ],
                "ttlMs": 60000,
                "cacheScope": "public",
            }
        elif method == "tools/call" and params.get("name") == "echo":
            text = (params.get("arguments") or {}).get("text", "")
            result = {"resultType": "complete", "content": [{"type": "text", "text": "echo: " + text}]}
        elif method == "tools/call" and params.get("name") == "route":
            arguments = params.get("arguments") or {}
            text = f"routed to {arguments.get('region')} at {arguments.get('priority')}"
            result = {"resultType": "complete", "content": [{"type": "text", "text": text}]}
        elif method == "tools/call" and params.get("name") == "ask" and "inputResponses" in params:
            if params.get("requestState") != "ask-state-1":
                return self.error(400, request_id, -32602, "requestState is not the one given")
            answer = params["inputResponses"].get("q") or {}
            chosen = json.dumps(answer.get("content"), sort_keys=True)
            result = {"resultType": "complete", "content": [{"type": "text", "text": f"chose {answer.get('action')} {chosen}"}]}
        elif method == "tools/call" and params.get("name") == "ask":
            result = {
                "requestState": "ask-state-1",
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
