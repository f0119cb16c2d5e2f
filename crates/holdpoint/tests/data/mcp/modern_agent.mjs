// An agent of MCP's 2026-07-28 revision, written with the TypeScript SDK's client
// (`@modelcontextprotocol/client`, pinned to 2026-07-28: no initialize, per-request
// `_meta`, `server/discover` first, results checked as that revision has them).
//
// Usage: node modern_agent.mjs PLAN, with MCP_CLIENT the path of the package's
// dist/index.mjs. PLAN is a JSON file: {"url", "token", "calls": [{"tool",
// "arguments"}], "close_after_ms"?, "answers"?}. Prints one JSON line with the revision
// and the server's name, one with the tool names, then one per call ({"isError",
// "text"}, or {"error"} when the call itself failed; a call given "close_after_ms" is
// abandoned after that long, as an agent that closes the stream). Given "answers" (the
// content to accept each elicitation with, by its message), the client declares
// elicitation, answers the server's questions (which 2026-07-28 carries as
// input_required results, retried by the SDK with the answers), and prints a last line
// with the messages it was asked, in order. Given "listen" (a subscriptions/listen
// filter), it listens before its calls and prints {"honoured"} (what the server
// acknowledged), and after them, once a change has come or 10 s have passed,
// {"changes", "tools"}: the change notifications it was sent, in order, and the tool
// names listed again.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { Client, StreamableHTTPClientTransport } = await import(
  pathToFileURL(process.env.MCP_CLIENT).href
);
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const transport = new StreamableHTTPClientTransport(new URL(plan.url), {
  requestInit: { headers: { Authorization: `Bearer ${plan.token}` } },
});
const answering = plan.answers !== undefined;
const client = new Client(
  { name: "holdpoint-test-agent", version: "1.0.0" },
  {
    versionNegotiation: { mode: { pin: "2026-07-28" } },
    ...(answering && { capabilities: { elicitation: { form: {} } } }),
  },
);
const asked = [];
if (answering) {
  client.setRequestHandler("elicitation/create", async (request) => {
    const message = request.params.message;
    asked.push(message);
    return { action: "accept", content: plan.answers[message] ?? {} };
  });
}
await client.connect(transport);
console.log(
  JSON.stringify({
    version: client.getNegotiatedProtocolVersion(),
    server: client.getServerVersion()?.name,
  }),
);
const tools = await client.listTools();
console.log(JSON.stringify({ tools: tools.tools.map((t) => t.name).sort() }));
const changes = [];
let subscription;
if (plan.listen !== undefined) {
  for (const kind of ["tools", "prompts", "resources"]) {
    const method = `notifications/${kind}/list_changed`;
    client.setNotificationHandler(method, () => {
      changes.push(method);
    });
  }
  subscription = await client.listen(plan.listen);
  console.log(JSON.stringify({ honoured: subscription.honoredFilter }));
}
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
if (answering) {
  console.log(JSON.stringify({ asked }));
}
if (subscription !== undefined) {
  const until = Date.now() + 10000;
  while (changes.length === 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const again = await client.listTools();
  console.log(JSON.stringify({ changes, tools: again.tools.map((t) => t.name).sort() }));
  await subscription.close();
}
await client.close();
