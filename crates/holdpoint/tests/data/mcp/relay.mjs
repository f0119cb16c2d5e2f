// A client that cannot send credentials (the conformance suite) reaches the gateway
// through this relay: it forwards every request to TARGET with
// `Authorization: Bearer TOKEN` added, streaming both ways, and prints the address it
// listens on (127.0.0.1, a free port).
import http from "node:http";
const target = new URL(process.env.TARGET);
const token = process.env.TOKEN;
const server = http.createServer((req, res) => {
  const headers = { ...req.headers, authorization: `Bearer ${token}` };
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (e) => {
    res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(upstream);
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port}`));
