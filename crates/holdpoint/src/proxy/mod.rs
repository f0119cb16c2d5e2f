//! The proxies that stand between agents and the systems they act on. Each takes the
//! same shape: a codec, a session machine that does no I/O, and a thin loop.

pub(crate) mod mcp;
pub(crate) mod pg;
