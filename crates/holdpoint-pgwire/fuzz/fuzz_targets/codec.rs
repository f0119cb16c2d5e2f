//! Fuzz target for the PostgreSQL wire codec: any bytes, from either side, are taken
//! apart without a panic, and every message taken consumes bytes.
//!
//! Run with `cargo fuzz run codec` in `crates/holdpoint-pgwire` (see the README).

#![no_main]

use bytes::BytesMut;
use holdpoint_pgwire as wire;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = wire::parse_startup(&mut BytesMut::from(data), LIMIT);
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match wire::parse_frame(&mut buf, LIMIT) {
            Ok(Some(frame)) => {
                assert!(buf.len() < before);
                let _ = wire::query_text(&frame);
                let _ = wire::parse_message(&frame);
                let _ = wire::bind_names(&frame);
                let _ = wire::execute_portal(&frame);
                let _ = wire::close_target(&frame);
                let _ = wire::password(&frame);
                let _ = wire::authentication(&frame);
                let _ = wire::backend_key(&frame);
                let _ = wire::ready_status(&frame);
                let _ = wire::command_tag(&frame);
                if let Ok(fields) = wire::fields(&frame) {
                    // What is read back is what was written.
                    let again = wire::fields(&fields.frame(frame.tag));
                    assert_eq!(again.ok(), Some(fields));
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    let mut scram = wire::Scram::new("secret", "abcdef");
    let _ = scram.client_final(data);
    let _ = scram.verify_server_final(data);
});
