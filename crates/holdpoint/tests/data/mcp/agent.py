"""An agent for the MCP gateway's tests: the real MCP client SDK, over stdio or
Streamable HTTP.

Usage: agent.py PLAN.json. The plan names either the server to launch (command, args,
env, cwd: stdio) or its URL and the headers to send (the agent's holdpoint credential:
Streamable HTTP), and the tool calls to make. Prints one JSON line with the server's
name, one with its tools, then one per call: its result's isError and text; over HTTP,
finally the session id the gateway gave, and the agent gives up after 60 s. With
"progress": true each call asks for progress, and each notification is printed as it
comes ({"progress": message}), so a test can act on it. With "answers" (the content to
accept each elicitation with, by its message) the client declares elicitation and
answers the server's questions, printing each as it is asked ({"asked": message}).
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client


async def calls(plan, read, write):
    elicit = None
    if "answers" in plan:

        async def elicit(context, params):
            print(json.dumps({"asked": params.message}), flush=True)
            return types.ElicitResult(action="accept", content=plan["answers"].get(params.message, {}))

    async with ClientSession(read, write, elicitation_callback=elicit) as session:
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


async def main(plan):
    if "url" in plan:
        async with streamablehttp_client(plan["url"], headers=plan.get("headers")) as (
            read,
            write,
            session_id,
        ):
            await calls(plan, read, write)
            print(json.dumps({"session": session_id()}), flush=True)
    else:
        server = StdioServerParameters(
            command=plan["command"], args=plan["args"], env=plan["env"], cwd=plan["cwd"]
        )
        async with stdio_client(server) as (read, write):
            await calls(plan, read, write)


plan = json.load(open(sys.argv[1]))
asyncio.run(asyncio.wait_for(main(plan), 60 if "url" in plan else None))
