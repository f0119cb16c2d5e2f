"""An agent for the MCP gateway's HTTP tests: the real MCP client SDK, over Streamable HTTP.

Usage: http_agent.py PLAN.json. The plan gives the server's URL, the headers to send
(the agent's holdpoint credential) and the tool calls to make; prints one JSON line with
the server's name, one with its tools, then one per call: its result's isError and text,
and finally the session id the gateway gave. With "progress": true each call asks for
progress, and each notification is printed as it comes ({"progress": message}), so a
test can act on it.
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main(plan):
    async with streamablehttp_client(plan["url"], headers=plan.get("headers")) as (
        read,
        write,
        session_id,
    ):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            print(json.dumps({"server": info.serverInfo.name}), flush=True)
            tools = await session.list_tools()
            print(json.dumps({"tools": sorted(t.name for t in tools.tools)}), flush=True)
            async def progress(value, total, message):
                print(json.dumps({"progress": message}), flush=True)

            callback = progress if plan.get("progress") else None
            for call in plan["calls"]:
                result = await session.call_tool(
                    call["tool"], call["arguments"], progress_callback=callback
                )
                text = "".join(c.text for c in result.content if c.type == "text")
                print(json.dumps({"isError": result.isError, "text": text}), flush=True)
            print(json.dumps({"session": session_id()}), flush=True)


asyncio.run(asyncio.wait_for(main(json.load(open(sys.argv[1]))), 60))
