"""An MCP server over Streamable HTTP for the gateway's tests, built with the MCP SDK's
FastMCP. It refuses any request without `Authorization: Bearer <the token in argv>`,
and writes one JSON line per HTTP request it gets to a journal: the Authorization and
X-Upstream-Key headers it saw, the JSON-RPC method (and tool) of the body, and the
client's port (which connection it came on), so a test can tell what reached it.

Usage: upstream.py PORT TOKEN JOURNAL
"""

import json
import sys

import uvicorn
from mcp.server.fastmcp import FastMCP

port, token, journal = int(sys.argv[1]), sys.argv[2], sys.argv[3]
mcp = FastMCP("holdpoint-test-upstream", host="127.0.0.1", port=port, log_level="WARNING")


@mcp.tool()
def add(a: int, b: int) -> str:
    """Adds two numbers."""
    return str(a + b)


@mcp.tool()
def drop_database(name: str) -> str:
    """Drops a database for good."""
    return f"dropped {name}"


inner = mcp.streamable_http_app()


async def app(scope, receive, send):
    if scope["type"] != "http":
        return await inner(scope, receive, send)
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    entry = {
        "method": scope["method"],
        "authorization": headers.get("authorization"),
        "key": headers.get("x-upstream-key"),
        "port": (scope.get("client") or [None, None])[1],
    }
    try:
        parsed = json.loads(body) if body else None
        if isinstance(parsed, dict):
            entry["rpc"] = parsed.get("method")
            entry["tool"] = (parsed.get("params") or {}).get("name")
    except ValueError:
        pass
    with open(journal, "a") as f:
        f.write(json.dumps(entry) + "\n")
    if headers.get("authorization") != f"Bearer {token}":
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b"no"})
        return
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    await inner(scope, replay, send)


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
