"""An MCP server for the gateway's tests, built with the MCP SDK's FastMCP: one tool,
`later`, which answers at once and a moment afterwards sends a log message
(`notifications/message`, "told later") that belongs to no request, so a test can see
where the gateway delivers a server's own messages. Over stdio; given a port, over
Streamable HTTP on 127.0.0.1 at /mcp, where such messages go on the stream the client
opens with GET."""

import asyncio
import sys

from mcp.server.fastmcp import Context, FastMCP

mcp = FastMCP("holdpoint-test-later")
pending: set[asyncio.Task] = set()


@mcp.tool()
async def later(ctx: Context) -> str:
    """Answers now; sends a log message half a second later."""
    session = ctx.session

    async def tell() -> None:
        await asyncio.sleep(0.5)
        await session.send_log_message(level="info", data="told later")

    task = asyncio.get_running_loop().create_task(tell())
    pending.add(task)
    task.add_done_callback(pending.discard)
    return "scheduled"


if len(sys.argv) > 1:
    mcp.settings.host = "127.0.0.1"
    mcp.settings.port = int(sys.argv[1])
    mcp.run(transport="streamable-http")
else:
    mcp.run()
