"""An agent for the MCP gateway's tests: the real MCP client SDK, over stdio.

Usage: agent.py PLAN.json. The plan names the server to launch (command, args, env,
cwd) and the tool calls to make; one JSON line per call is printed: its result's
isError and text. With "progress": true each call asks for progress, and each
notification is printed as it comes ({"progress": message}), so a test can act on it.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(plan):
    server = StdioServerParameters(
        command=plan["command"], args=plan["args"], env=plan["env"], cwd=plan["cwd"]
    )
    async with stdio_client(server) as (read, write):
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


asyncio.run(main(json.load(open(sys.argv[1]))))
