// Preloaded (`node -r`) into a server that calls listen(PORT) with no host, as the
// reference servers do: binds it to 127.0.0.1, so that tests listen on loopback only.
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === "number" || typeof args[0] === "string") && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
