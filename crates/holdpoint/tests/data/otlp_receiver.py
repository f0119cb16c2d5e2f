"""An OpenTelemetry collector's OTLP/HTTP receiver for the telemetry tests: it decodes
what holdpoint sends with the OpenTelemetry project's own protobuf classes (PyPI's
`opentelemetry-proto`) and writes each log record and span it takes as one JSON line.

    python3 otlp_receiver.py PORT OUT.jsonl

Prints `listening on PORT` once it listens. Answers what OTLP/HTTP asks of a collector:
200 with the (empty) protobuf response for a request it decoded, 415 for a body that is
not protobuf, 400 for one that does not decode, 404 for any other path.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

port, out = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()


def value(v):
    """An AnyValue as plain JSON."""
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind) if kind else None


def attributes(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


def write(lines):
    with lock, open(out, "a") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


def logs(request):
    for rl in request.resource_logs:
        resource = attributes(rl.resource.attributes)
        for sl in rl.scope_logs:
            yield from ({
                "signal": "log",
                "resource": resource,
                "scope": sl.scope.name,
                "schema_url": sl.schema_url,
                "time_unix_nano": r.time_unix_nano,
                "event_name": r.event_name,
                "severity_number": r.severity_number,
                "severity_text": r.severity_text,
                "body": value(r.body),
                "attributes": attributes(r.attributes),
                "trace_id": r.trace_id.hex(),
                "span_id": r.span_id.hex(),
            } for r in sl.log_records)


def spans(request):
    for rs in request.resource_spans:
        resource = attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            yield from ({
                "signal": "span",
                "resource": resource,
                "name": s.name,
                "trace_id": s.trace_id.hex(),
                "span_id": s.span_id.hex(),
                "start_time_unix_nano": s.start_time_unix_nano,
                "end_time_unix_nano": s.end_time_unix_nano,
                "attributes": attributes(s.attributes),
                "status_code": s.status.code,
                "status_message": s.status.message,
            } for s in ss.spans)


ROUTES = {
    "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse, logs),
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse, spans),
}


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        route = ROUTES.get(self.path)
        if route is None:
            return self.answer(404, b"no such signal")
        if self.headers.get("Content-Type") != "application/x-protobuf":
            return self.answer(415, b"send application/x-protobuf")
        request_type, response_type, read = route
        request = request_type()
        try:
            request.ParseFromString(body)
        except DecodeError as e:
            return self.answer(400, str(e).encode())
        lines = list(read(request))
        for line in lines:
            line["authorization"] = self.headers.get("Authorization")
        write(lines)
        self.answer(200, response_type().SerializeToString(), "application/x-protobuf")

    def answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
print(f"listening on {server.server_address[1]}", flush=True)
server.serve_forever()
