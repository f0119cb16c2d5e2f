"""An MCP server over stdio for the gateway's tests, built with the MCP SDK's FastMCP:
one tool, `variable`, answering the value of one of its own environment variables (or
`unset`), so a test can tell what the gateway passed to the server it started."""

import os

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("holdpoint-test-env")


@mcp.tool()
def variable(name: str) -> str:
    """The value of one of this server's environment variables."""
    return os.environ.get(name, "unset")


mcp.run()
