"""MCP server made for the server scenarios of the MCP conformance suite.

This is a test fixture: an MCP server over Streamable HTTP, built with the
Python `mcp` SDK (1.x), that offers the tools, prompts, resources, resource
templates, completions and logging that the scenarios of
`@modelcontextprotocol/conformance` (`server --suite all`) call.  holdpoint's
gateway test runs the suite against it twice, directly and through the
gateway, and compares the two results.

Usage:  python3 conformance_server.py PORT

It listens on 127.0.0.1:PORT only, serves MCP at /mcp with stateful sessions
(Mcp-Session-Id), refuses requests whose Host or Origin is not a loopback
name (DNS-rebinding protection), logs to stderr only, and stops on
SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import re
import signal
import sys
import weakref
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import mcp.types as types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.streamable_http import EventCallback, EventMessage, EventStore
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

log = logging.getLogger("conformance_server")

# A 1x1 red PNG and a tiny WAV file, base64-encoded.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV_B64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

# Milliseconds a client should wait before reconnecting a closed SSE stream.
RETRY_MS = 1000

NO_ARGS: dict[str, Any] = {"type": "object", "properties": {}}


# ---------------------------------------------------------------- event store


class MemoryEventStore(EventStore):
    """Keeps every SSE event in memory so a client can resume with Last-Event-ID.

    The SDK names a POST stream after its JSON-RPC request id, which two
    sessions may share, so events are grouped by stream *instance*: a priming
    event (message None) starts a new instance of its stream id, and later
    events join the newest instance of their stream id.
    """

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._streams: dict[str, list[tuple[str, types.JSONRPCMessage | None]]] = {}
        self._where: dict[str, tuple[str, list[tuple[str, types.JSONRPCMessage | None]]]] = {}

    async def store_event(self, stream_id: str, message: types.JSONRPCMessage | None) -> str:
        event_id = f"{next(self._ids)}"
        events = self._streams.get(stream_id)
        if events is None or message is None:
            events = self._streams[stream_id] = []
        events.append((event_id, message))
        self._where[event_id] = (stream_id, events)
        return event_id

    async def replay_events_after(self, last_event_id: str, send_callback: EventCallback) -> str | None:
        found = self._where.get(last_event_id)
        if found is None:
            return None
        stream_id, events = found
        ids = [event_id for event_id, _ in events]
        for event_id, message in events[ids.index(last_event_id) + 1 :]:
            if message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream_id


# ---------------------------------------------------------------- the server


class ConformanceServer(Server):
    """A low-level Server that also declares resources.subscribe."""

    def get_capabilities(self, notification_options, experimental_capabilities):  # type: ignore[override]
        caps = super().get_capabilities(notification_options, experimental_capabilities)
        if caps.resources is not None:
            caps.resources.subscribe = True
        return caps

    def create_initialization_options(self, notification_options=None, experimental_capabilities=None):  # type: ignore[override]
        # Declare listChanged for tools, prompts and resources.
        return super().create_initialization_options(
            notification_options or NotificationOptions(prompts_changed=True, resources_changed=True, tools_changed=True),
            experimental_capabilities,
        )


server = ConformanceServer("mcp-conformance-test-server", version="1.0.0")

LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
# Minimum log level each session asked for with logging/setLevel.
session_levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
# URIs a client subscribed to (tracked only: nothing here ever changes).
subscriptions: set[str] = set()


async def send_log(level: types.LoggingLevel, data: Any) -> None:
    """Send a log notification on the current request's stream, if the level passes."""
    ctx = server.request_context
    wanted = session_levels.get(ctx.session, "debug")
    if LEVELS.index(level) >= LEVELS.index(wanted):
        await ctx.session.send_log_message(level, data, logger="conformance-test-server", related_request_id=ctx.request_id)


# ---- tools

JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
    "additionalProperties": False,
}


def string_arg(name: str, description: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {"type": "string", "description": description}}, "required": [name]}


TOOLS = [
    types.Tool(name="test_simple_text", description="Returns simple text content", inputSchema=NO_ARGS),
    types.Tool(name="test_image_content", description="Returns image content", inputSchema=NO_ARGS),
    types.Tool(name="test_audio_content", description="Returns audio content", inputSchema=NO_ARGS),
    types.Tool(name="test_embedded_resource", description="Returns an embedded resource", inputSchema=NO_ARGS),
    types.Tool(
        name="test_multiple_content_types", description="Returns text, image and resource content", inputSchema=NO_ARGS
    ),
    types.Tool(name="test_tool_with_logging", description="Sends log messages while it runs", inputSchema=NO_ARGS),
    types.Tool(name="test_tool_with_progress", description="Reports progress while it runs", inputSchema=NO_ARGS),
    types.Tool(name="test_error_handling", description="Always fails with a tool error", inputSchema=NO_ARGS),
    types.Tool(
        name="test_reconnection",
        description="Closes its SSE stream mid-call; the result arrives after the client reconnects (SEP-1699)",
        inputSchema=NO_ARGS,
    ),
    types.Tool(
        name="test_sampling",
        description="Asks the client for an LLM completion",
        inputSchema=string_arg("prompt", "The prompt to send to the LLM"),
    ),
    types.Tool(
        name="test_elicitation",
        description="Asks the client for user input",
        inputSchema=string_arg("message", "The message to show the user"),
    ),
    types.Tool(
        name="test_elicitation_sep1034_defaults",
        description="Elicitation with default values (SEP-1034)",
        inputSchema=NO_ARGS,
    ),
    types.Tool(
        name="test_elicitation_sep1330_enums", description="Elicitation with enum schemas (SEP-1330)", inputSchema=NO_ARGS
    ),
    *[
        types.Tool(name=name, description=description, inputSchema=NO_ARGS)
        for name, description in [
            ("test_input_required_result_elicitation", "Asks the user's name, then greets them (SEP-2322)"),
            ("test_input_required_result_sampling", "Asks the client's LLM a question, then answers with its reply (SEP-2322)"),
            ("test_input_required_result_request_state", "Asks for a confirmation, then says state-ok (SEP-2322)"),
            ("test_input_required_result_tampered_state", "Asks for a confirmation (SEP-2322)"),
            ("test_input_required_result_multi_round", "Asks two questions, one after the other (SEP-2322)"),
            ("test_input_required_result_capabilities", "Asks only what the client said it can answer (SEP-2322)"),
        ]
    ],
    types.Tool(
        name="test_routed",
        description="Answers with the region its call names, which 2026-07-28 clients also send as Mcp-Param-Region (SEP-2243)",
        inputSchema={
            "type": "object",
            "properties": {"region": {"type": "string", "x-mcp-header": "Region"}, "query": {"type": "string"}},
            "required": ["region"],
        },
    ),
    types.Tool(
        name="test_add_tool",
        description="Adds a tool named by its call and tells every session the tool list changed",
        inputSchema={"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    ),
    types.Tool(
        name="json_schema_2020_12_tool",
        description="Tool whose input schema uses JSON Schema 2020-12 features (SEP-1613)",
        inputSchema=JSON_SCHEMA_2020_12,
    ),
]

# Forms that the elicitation tools ask the client to fill in.
DEFAULTS_FORM = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
    "required": [],
}

ENUMS_FORM = {
    "type": "object",
    "properties": {
        # plain single choice
        "untitledSingle": {"type": "string", "description": "Select one option", "enum": ["option1", "option2", "option3"]},
        # single choice with a title per value
        "titledSingle": {
            "type": "string",
            "description": "Select one option with titles",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        # the deprecated enumNames form
        "legacyEnum": {
            "type": "string",
            "description": "Select one option (legacy)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        # plain multiple choice
        "untitledMulti": {
            "type": "array",
            "description": "Select multiple options",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        # multiple choice with a title per value
        "titledMulti": {
            "type": "array",
            "description": "Select multiple options with titles",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
    "required": [],
}


def text(value: str) -> types.TextContent:
    return types.TextContent(type="text", text=value)


def image() -> types.ImageContent:
    return types.ImageContent(type="image", data=PNG_B64, mimeType="image/png")


def embedded(uri: str, mime_type: str, value: str) -> types.EmbeddedResource:
    return types.EmbeddedResource(
        type="resource", resource=types.TextResourceContents(uri=uri, mimeType=mime_type, text=value)
    )


@server.list_tools()
async def list_tools() -> list[types.Tool]:
    return TOOLS


@server.call_tool()
async def call_tool(name: str, args: dict[str, Any]) -> list[types.ContentBlock]:
    ctx = server.request_context
    if name == "test_simple_text":
        return [text("This is a simple text response for testing.")]
    if name == "test_routed":
        return [text(f"routed to {args.get('region')}")]
    # A server of 2025-11-25 asks its questions with requests of its own in the call;
    # a gateway in front of it passes them to a 2026-07-28 client as input_required.
    if name in ("test_input_required_result_elicitation", "test_input_required_result_multi_round"):
        name_form = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        first = await ctx.session.elicit("What is your name?", name_form, related_request_id=ctx.request_id)
        who = (first.content or {}).get("name", "nobody")
        if name == "test_input_required_result_elicitation":
            return [text(f"Hello, {who}!")]
        color_form = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
        second = await ctx.session.elicit(
            "What is your favorite color?", color_form, related_request_id=ctx.request_id
        )
        return [text(f"{who} likes {(second.content or {}).get('color', 'nothing')}")]
    if name == "test_input_required_result_sampling":
        result = await ctx.session.create_message(
            [types.SamplingMessage(role="user", content=text("What is the capital of France?"))],
            max_tokens=100,
            related_request_id=ctx.request_id,
        )
        content = result.content
        return [text(f"LLM response: {content.text if isinstance(content, types.TextContent) else '?'}")]
    if name == "test_input_required_result_capabilities":
        # Asks the person first when the client can, else its model: a client that
        # declared only sampling must never be asked to elicit.
        declared = ctx.session.client_params.capabilities if ctx.session.client_params else None
        if declared is not None and declared.elicitation is not None:
            form = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
            await ctx.session.elicit("Please confirm", form, related_request_id=ctx.request_id)
            return [text("elicited")]
        if declared is not None and declared.sampling is not None:
            await ctx.session.create_message(
                [types.SamplingMessage(role="user", content=text("Say yes."))],
                max_tokens=10,
                related_request_id=ctx.request_id,
            )
            return [text("sampled")]
        return [text("asked nothing: the client can answer nothing")]
    if name in ("test_input_required_result_request_state", "test_input_required_result_tampered_state"):
        form = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
        confirmed = await ctx.session.elicit("Please confirm", form, related_request_id=ctx.request_id)
        return [text(f"state-ok: {json.dumps(confirmed.content)}")]
    if name == "test_add_tool":
        # Said on the session's own stream (a GET), not in the call's answer.
        TOOLS.append(types.Tool(name=str(args.get("name")), description="Added by test_add_tool", inputSchema=NO_ARGS))
        await ctx.session.send_tool_list_changed()
        return [text(f"added {args.get('name')}")]
    if name == "test_image_content":
        return [image()]
    if name == "test_audio_content":
        return [types.AudioContent(type="audio", data=WAV_B64, mimeType="audio/wav")]
    if name == "test_embedded_resource":
        return [embedded("test://embedded-resource", "text/plain", "This is an embedded resource content.")]
    if name == "test_multiple_content_types":
        return [
            text("Multiple content types test:"),
            image(),
            embedded("test://mixed-content-resource", "application/json", json.dumps({"test": "data", "value": 123})),
        ]
    if name == "test_tool_with_logging":
        for i, message in enumerate(["Tool execution started", "Tool processing data", "Tool execution completed"]):
            if i:
                await asyncio.sleep(0.05)
            await send_log("info", message)
        return [text("Tool with logging executed successfully")]
    if name == "test_tool_with_progress":
        token = ctx.meta.progressToken if ctx.meta else None
        for i, step in enumerate([0, 50, 100]):
            if i:
                await asyncio.sleep(0.05)
            if token is not None:
                await ctx.session.send_progress_notification(
                    token, step, total=100, message=f"Completed step {step} of 100", related_request_id=ctx.request_id
                )
        return [text(str(token if token is not None else 0))]
    if name == "test_error_handling":
        # The SDK turns the exception into a result with isError: true.
        raise RuntimeError("This tool intentionally returns an error for testing")
    if name == "test_reconnection":
        # Close this request's SSE stream (possible only when the client speaks
        # 2025-11-25 and the server has an event store); the result is then
        # stored and replayed when the client reconnects with Last-Event-ID.
        if ctx.close_sse_stream is not None:
            await ctx.close_sse_stream()
        await asyncio.sleep(0.1)
        return [
            text(
                "Reconnection test completed successfully. If you received this, "
                "the client properly reconnected after stream closure."
            )
        ]
    if name == "test_sampling":
        try:
            result = await ctx.session.create_message(
                [types.SamplingMessage(role="user", content=text(args["prompt"]))],
                max_tokens=100,
                related_request_id=ctx.request_id,
            )
            content = result.content
            answer = content.text if isinstance(content, types.TextContent) else "No response"
            return [text(f"LLM response: {answer}")]
        except Exception as e:  # the client may not support sampling
            return [text(f"Sampling not supported or error: {e}")]
    if name in ("test_elicitation", "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums"):
        if name == "test_elicitation":
            message = args["message"]
            form: dict[str, Any] = {
                "type": "object",
                "properties": {"response": {"type": "string", "description": "User's response"}},
                "required": ["response"],
            }
            prefix = "User response"
        elif name == "test_elicitation_sep1034_defaults":
            message, form, prefix = "Please review and update the form fields with defaults", DEFAULTS_FORM, "Elicitation completed"
        else:
            message, form, prefix = "Please select options from the enum fields", ENUMS_FORM, "Elicitation completed"
        try:
            result = await ctx.session.elicit(message, form, related_request_id=ctx.request_id)
            content = json.dumps(result.content or {}, separators=(",", ":"))
            return [text(f"{prefix}: action={result.action}, content={content}")]
        except Exception as e:  # the client may not support elicitation
            return [text(f"Elicitation not supported or error: {e}")]
    if name == "json_schema_2020_12_tool":
        return [text(f"JSON Schema 2020-12 tool called with: {json.dumps(args, separators=(',', ':'))}")]
    raise ValueError(f"Unknown tool: {name}")


# ---- resources

STATIC_RESOURCES = {
    "test://static-text": ("text/plain", "This is the content of the static text resource."),
    "test://static-binary": ("image/png", base64.b64decode(PNG_B64)),
    "test://watched-resource": ("text/plain", "Watched resource content"),
}
TEMPLATE = re.compile(r"^test://template/([^/]+)/data$")


@server.list_resources()
async def list_resources() -> list[types.Resource]:
    return [
        types.Resource(
            uri="test://static-text",
            name="static-text",
            title="Static Text Resource",
            description="A static text resource for testing",
            mimeType="text/plain",
        ),
        types.Resource(
            uri="test://static-binary",
            name="static-binary",
            title="Static Binary Resource",
            description="A static binary resource (image) for testing",
            mimeType="image/png",
        ),
        types.Resource(
            uri="test://watched-resource",
            name="watched-resource",
            title="Watched Resource",
            description="A resource clients can subscribe to",
            mimeType="text/plain",
        ),
    ]


@server.list_resource_templates()
async def list_resource_templates() -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(
            uriTemplate="test://template/{id}/data",
            name="template",
            title="Resource Template",
            description="A resource template with parameter substitution",
            mimeType="application/json",
        )
    ]


@server.read_resource()
async def read_resource(uri: Any) -> list[ReadResourceContents]:
    uri = str(uri)
    if uri in STATIC_RESOURCES:
        mime_type, content = STATIC_RESOURCES[uri]
        return [ReadResourceContents(content=content, mime_type=mime_type)]
    match = TEMPLATE.match(uri)
    if match:
        rid = match.group(1)
        body = json.dumps({"id": rid, "templateTest": True, "data": f"Data for ID: {rid}"})
        return [ReadResourceContents(content=body, mime_type="application/json")]
    raise ValueError(f"Resource not found: {uri}")


@server.subscribe_resource()
async def subscribe(uri: Any) -> None:
    subscriptions.add(str(uri))
    await send_log("info", f"Subscribed to resource: {uri}")


@server.unsubscribe_resource()
async def unsubscribe(uri: Any) -> None:
    subscriptions.discard(str(uri))
    await send_log("info", f"Unsubscribed from resource: {uri}")


# ---- prompts


@server.list_prompts()
async def list_prompts() -> list[types.Prompt]:
    return [
        types.Prompt(name="test_simple_prompt", title="Simple Test Prompt", description="A simple prompt without arguments"),
        types.Prompt(
            name="test_prompt_with_arguments",
            title="Prompt With Arguments",
            description="A prompt with required arguments",
            arguments=[
                types.PromptArgument(name="arg1", description="First test argument", required=True),
                types.PromptArgument(name="arg2", description="Second test argument", required=True),
            ],
        ),
        types.Prompt(
            name="test_prompt_with_embedded_resource",
            title="Prompt With Embedded Resource",
            description="A prompt that includes an embedded resource",
            arguments=[types.PromptArgument(name="resourceUri", description="URI of the resource to embed", required=True)],
        ),
        types.Prompt(name="test_prompt_with_image", title="Prompt With Image", description="A prompt that includes image content"),
        types.Prompt(
            name="test_input_required_result_prompt",
            title="Prompt That Asks",
            description="Asks the user for context before it is made (SEP-2322)",
        ),
    ]


def user(content: Any) -> types.PromptMessage:
    return types.PromptMessage(role="user", content=content)


@server.get_prompt()
async def get_prompt(name: str, args: dict[str, str] | None) -> types.GetPromptResult:
    args = args or {}
    if name == "test_simple_prompt":
        messages = [user(text("This is a simple prompt for testing."))]
    elif name == "test_prompt_with_arguments":
        messages = [user(text(f"Prompt with arguments: arg1='{args.get('arg1')}', arg2='{args.get('arg2')}'"))]
    elif name == "test_prompt_with_embedded_resource":
        messages = [
            user(embedded(args.get("resourceUri", "test://example-resource"), "text/plain", "Embedded resource content for testing.")),
            user(text("Please process the embedded resource above.")),
        ]
    elif name == "test_prompt_with_image":
        messages = [user(image()), user(text("Please analyze the image above."))]
    elif name == "test_input_required_result_prompt":
        ctx = server.request_context
        form = {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
        asked = await ctx.session.elicit(
            "What context should the prompt use?", form, related_request_id=ctx.request_id
        )
        messages = [user(text(f"Use this context: {(asked.content or {}).get('context', '')}"))]
    else:
        raise ValueError(f"Unknown prompt: {name}")
    return types.GetPromptResult(messages=messages)


# ---- logging and completion


@server.set_logging_level()
async def set_logging_level(level: types.LoggingLevel) -> None:
    session_levels[server.request_context.session] = level
    await send_log("info", f"Log level set to: {level}")


# A few suggestions per completable argument, filtered by the typed prefix.
SUGGESTIONS = {"arg1": ["paris", "park", "party"], "arg2": ["alpha", "beta", "gamma"], "id": ["1", "2", "3"]}


@server.completion()
async def complete(ref: Any, argument: types.CompletionArgument, context: Any) -> types.Completion:
    values = [v for v in SUGGESTIONS.get(argument.name, []) if v.startswith(argument.value)]
    return types.Completion(values=values, total=len(values), hasMore=False)


# ---------------------------------------------------------------- HTTP app

LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]
security = TransportSecuritySettings(
    enable_dns_rebinding_protection=True,
    allowed_hosts=LOOPBACK + [f"{h}:*" for h in LOOPBACK],
    allowed_origins=[f"http://{h}" for h in LOOPBACK] + [f"http://{h}:*" for h in LOOPBACK],
)
manager = StreamableHTTPSessionManager(
    app=server, event_store=MemoryEventStore(), security_settings=security, retry_interval=RETRY_MS
)


class McpEndpoint:
    """ASGI endpoint that hands /mcp requests to the session manager."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await manager.handle_request(scope, receive, send)


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    async with manager.run():
        yield


app = Starlette(routes=[Route("/mcp", endpoint=McpEndpoint())], lifespan=lifespan)


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: conformance_server.py PORT")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # uvicorn shuts down gracefully on SIGTERM/SIGINT (open SSE streams get
    # 2 s), then re-raises the signal: these handlers make that an exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", timeout_graceful_shutdown=2
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
