//! Links the `holdpoint` program with packed relative relocations on Linux.
//!
//! Every hook call starts the program twice (the supervisor and its worker), so its
//! start-up is on every agent's every tool call. As a position-independent executable
//! of this size it carries some 60,000 relative relocations, which the dynamic loader
//! reads one 24-byte entry at a time at each start. Packed (`DT_RELR`, GNU ld 2.38 and
//! glibc 2.36 or later) they take a few kilobytes and are applied in a tight loop, and
//! the program keeps its randomised load address. Only the program is linked so:
//! libraries, tests and build tools keep the toolchain's defaults.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if linux && gnu {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
