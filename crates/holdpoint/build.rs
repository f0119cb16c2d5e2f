//! Links the `holdpoint` program at a fixed address on Linux (not position-independent).
//!
//! Every hook call starts the program (its worker is a fork of it), so its start-up is
//! on every agent's every tool call. Position-independent, the program
//! carries some 60,000 relative relocations (most of them the addresses in the static
//! tool table), and the loader writes each one at every start, copying and dirtying the
//! pages they lie on; packing them (`-z pack-relative-relocs`) shrinks the table but not
//! those writes. Linked at a fixed address it carries a few hundred, and a start takes
//! about two thirds of the time (`bench/hook.sh`).
//!
//! The price is that the program's own code and data are not at a randomised address.
//! That randomisation only hinders exploiting a memory-corruption bug; what an agent can
//! send (hook JSON, shell and SQL text, protocol messages) is read by Rust code without
//! `unsafe` of holdpoint's own. Libraries, tests and build tools keep the toolchain's
//! defaults; only the program is linked so.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if linux && gnu {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}
