// An agent of MCP's 2026-07-28 revision, written with the TypeScript SDK's client
// (`@modelcontextprotocol/client`, pinned to 2026-07-28: no initialize, per-request
// `_meta`, `server/discover` first, results checked as that revision has them).
//
// Usage: node modern_agent.mjs PLAN, with MCP_CLIENT the path of the package's
// dist/index.mjs. PLAN is a JSON file: {"url", "token", "calls": [{"tool",
// "arguments"}], "close_after_ms"?}. Prints one JSON line with the revision and the
// server's name, one with the tool names, then one per call ({"isError", "text"}, or
// {"error"} when the call itself failed; a call given "close_after_ms" is abandoned
// after that long, as an agent that closes the stream).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { Client, StreamableHTTPClientTransport } = await import(
  pathToFileURL(process.env.MCP_CLIENT).href
);
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const transport = new StreamableHTTPClientTransport(new URL(plan.url), {
  requestInit: { headers: { Authorization: `Bearer ${plan.token}` } },
});
const client = new Client(
  { name: "holdpoint-test-agent", version: "1.0.0" },
  { versionNegotiation: { mode: { pin: "2026-07-28" } } },
);
await client.connect(transport);
console.log(
  JSON.stringify({
    version: client.getNegotiatedProtocolVersion(),
    server: client.getServerVersion()?.name,
  }),
);
const tools = await client.listTools();
console.log(JSON.stringify({ tools: tools.tools.map((t) => t.name).sort() }));
for (const call of plan.calls) {
  const options = {};
  if (call.close_after_ms !== undefined) {
    // Asking for progress keeps a held call open; the signal then closes its stream.
    options.onprogress = () => {};
    options.signal = AbortSignal.timeout(call.close_after_ms);
  }
  try {
    const result = await client.callTool(
      { name: call.tool, arguments: call.arguments },
      options,
    );
    const text = (result.content ?? [])
      .filter((c) => c.type === "text")
      .map((c) => c.text)
      .join("");
    console.log(JSON.stringify({ isError: result.isError === true, text }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e?.message ?? e) }));
  }
}
await client.close();
