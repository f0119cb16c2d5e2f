//! The codec against messages as PostgreSQL's clients and servers write them: whole,
//! split at every byte, oversized, malformed, and mutated at random.

use bytes::{BufMut as _, BytesMut};
use holdpoint_pgwire::*;

const LIMIT: usize = 1024 * 1024;

fn encoded(frames: &[Frame]) -> BytesMut {
    let mut out = BytesMut::new();
    for frame in frames {
        frame.encode(&mut out);
    }
    out
}

#[test]
fn a_startup_message_is_read_whole_and_only_when_whole() {
    let bytes = startup_message(&[
        ("user", "bot"),
        ("database", "app"),
        ("application_name", "psql"),
    ]);
    for cut in 0..bytes.len() {
        let mut part = BytesMut::from(&bytes[..cut]);
        assert_eq!(
            parse_startup(&mut part, LIMIT).unwrap(),
            None,
            "cut at {cut}"
        );
        assert_eq!(
            part.len(),
            cut,
            "nothing is consumed before the message is whole"
        );
    }
    let mut whole = bytes.clone();
    whole.put_slice(b"Qrest");
    let startup = parse_startup(&mut whole, LIMIT).unwrap().unwrap();
    assert_eq!(startup.param("user"), Some("bot"));
    assert_eq!(startup.param("database"), Some("app"));
    assert_eq!(
        &whole[..],
        b"Qrest",
        "the next message is left in the buffer"
    );
}

#[test]
fn ssl_gss_and_cancel_requests_are_told_apart() {
    let mut ssl = BytesMut::from(&[0u8, 0, 0, 8, 4, 210, 22, 47][..]);
    assert_eq!(parse_startup(&mut ssl, LIMIT).unwrap(), Some(Startup::Ssl));
    let mut gss = BytesMut::from(&[0u8, 0, 0, 8, 4, 210, 22, 48][..]);
    assert_eq!(parse_startup(&mut gss, LIMIT).unwrap(), Some(Startup::Gss));
    let mut cancel = cancel_request(4242, &[1, 2, 3, 4]);
    assert_eq!(
        parse_startup(&mut cancel, LIMIT).unwrap(),
        Some(Startup::Cancel {
            pid: 4242,
            key: vec![1, 2, 3, 4]
        })
    );
    let mut old = BytesMut::from(&[0u8, 0, 0, 8, 0, 2, 0, 0][..]);
    assert_eq!(
        parse_startup(&mut old, LIMIT),
        Err(ProtocolError::Version { major: 2, minor: 0 })
    );
}

#[test]
fn frames_round_trip_and_split_anywhere() {
    let frames = vec![
        query_message("SELECT 1; SELECT 2"),
        parse_frame_for("s1", "DELETE FROM users WHERE id = $1"),
        Frame::new(b'S', Vec::new()),
        Fields::new("ERROR", "42501", "refused")
            .with(b'D', "why")
            .frame(b'E'),
        ready_for_query(b'T'),
    ];
    let bytes = encoded(&frames);
    for cut in 0..bytes.len() {
        let mut buf = BytesMut::from(&bytes[..cut]);
        let mut got = Vec::new();
        while let Some(frame) = parse_frame(&mut buf, LIMIT).unwrap() {
            got.push(frame);
        }
        buf.put_slice(&bytes[cut..]);
        while let Some(frame) = parse_frame(&mut buf, LIMIT).unwrap() {
            got.push(frame);
        }
        assert_eq!(got, frames, "cut at {cut}");
        assert!(buf.is_empty());
    }
    assert_eq!(
        query_text(&frames[0]).unwrap(),
        Sql::Text("SELECT 1; SELECT 2".to_owned())
    );
    let parse = parse_message(&frames[1]).unwrap();
    assert_eq!(
        (parse.statement.as_str(), &parse.query, parse.declared_types),
        (
            "s1",
            &Sql::Text("DELETE FROM users WHERE id = $1".to_owned()),
            0
        )
    );
    let mut typed = b"s2\0SELECT $1\0".to_vec();
    typed.extend_from_slice(&[0, 1, 0, 0, 0, 23]);
    assert_eq!(
        parse_message(&Frame::new(b'P', typed))
            .unwrap()
            .declared_types,
        1
    );
    let error = fields(&frames[3]).unwrap();
    assert_eq!(
        (error.get(b'C'), error.get(b'M'), error.get(b'D')),
        (Some("42501"), Some("refused"), Some("why"))
    );
    assert_eq!(ready_status(&frames[4]).unwrap(), b'T');
}

#[test]
fn oversized_and_impossible_lengths_are_errors_not_waits() {
    let mut big = BytesMut::from(&b"Q\x7f\xff\xff\xff"[..]);
    assert!(matches!(
        parse_frame(&mut big, LIMIT),
        Err(ProtocolError::TooLarge { .. })
    ));
    let mut negative = BytesMut::from(&b"Q\xff\xff\xff\xf0"[..]);
    assert!(matches!(
        parse_frame(&mut negative, LIMIT),
        Err(ProtocolError::BadLength(_))
    ));
    let mut short = BytesMut::from(&b"Q\x00\x00\x00\x02"[..]);
    assert!(matches!(
        parse_frame(&mut short, LIMIT),
        Err(ProtocolError::BadLength(2))
    ));
    let mut startup = BytesMut::from(&b"\x00\x10\x00\x00\x00\x03\x00\x00"[..]);
    assert!(matches!(
        parse_startup(&mut startup, LIMIT),
        Err(ProtocolError::TooLarge { .. })
    ));
}

#[test]
fn malformed_bodies_are_named_errors() {
    let no_end = Frame::new(b'Q', b"SELECT 1".to_vec());
    assert!(query_text(&no_end).unwrap_err().to_string().contains("`Q`"));
    // Regression: text that is not UTF-8 was decoded with replacement characters, so two
    // names could be taken for one and a statement read otherwise than the server does.
    assert_eq!(
        query_text(&Frame::new(b'Q', b"SELECT '\x81\\'\0".to_vec())).unwrap(),
        Sql::NotUtf8("SELECT '\u{fffd}\\'".to_owned())
    );
    let named = |name: &[u8]| {
        let mut body = name.to_vec();
        body.extend_from_slice(b"\0SELECT 1\0\0\0");
        parse_message(&Frame::new(b'P', body))
    };
    assert!(matches!(named(b"\xff"), Err(ProtocolError::NotUtf8 { .. })));
    assert!(matches!(
        bind_names(&Frame::new(b'B', b"\xfe\0s\0\0\0\0\0\0\0".to_vec())),
        Err(ProtocolError::NotUtf8 { .. })
    ));
    assert!(parse_message(&Frame::new(b'P', b"s1\0SELECT".to_vec())).is_err());
    assert!(fields(&Frame::new(b'E', b"Mno end".to_vec())).is_err());
    assert!(authentication(&Frame::new(b'R', vec![0, 0])).is_err());
    assert!(authentication(&Frame::new(b'R', vec![0, 0, 0, 5, 1])).is_err());
    assert_eq!(
        authentication(&authentication_ok()).unwrap(),
        Authentication::Ok
    );
    let sasl = Frame::new(b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0".to_vec());
    assert_eq!(
        authentication(&sasl).unwrap(),
        Authentication::Sasl {
            mechanisms: vec!["SCRAM-SHA-256".into()]
        }
    );
}

/// xorshift: the same inputs on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_streams_never_panic_and_always_make_progress() {
    let seeds = [
        startup_message(&[("user", "bot"), ("database", "app")]),
        encoded(&[
            query_message("DROP TABLE users"),
            parse_frame_for("", "SELECT $1"),
            Frame::new(b'B', b"\0\0\0\0\0\0\0\0".to_vec()),
            Frame::new(b'E', b"\0\0\0\0\0".to_vec()),
            Frame::new(b'S', Vec::new()),
        ]),
        encoded(&[
            Fields::new("ERROR", "42P01", "no such table").frame(b'E'),
            Frame::new(b'C', b"DELETE 12\0".to_vec()),
            Frame::new(b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0".to_vec()),
            backend_key_data(7, &[1, 2, 3, 4]),
            ready_for_query(b'I'),
        ]),
    ];
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for round in 0..20_000 {
        let mut input = seeds[round % seeds.len()].to_vec();
        for _ in 0..=random.below(6) {
            match random.below(4) {
                0 if !input.is_empty() => {
                    let at = random.below(input.len());
                    input[at] = random.next() as u8;
                }
                1 if !input.is_empty() => {
                    let at = random.below(input.len());
                    input.truncate(at);
                }
                2 => {
                    let at = random.below(input.len() + 1);
                    input.insert(at, random.next() as u8);
                }
                _ => input.extend_from_slice(&(random.next() as u32).to_be_bytes()),
            }
        }
        let mut buf = BytesMut::from(&input[..]);
        let _ = parse_startup(&mut buf.clone(), LIMIT);
        // Frames: each call either takes bytes, waits for more (None), or fails.
        loop {
            let before = buf.len();
            match parse_frame(&mut buf, LIMIT) {
                Ok(Some(frame)) => {
                    assert!(
                        buf.len() < before,
                        "round {round}: a frame consumed nothing"
                    );
                    let _ = (query_text(&frame), parse_message(&frame), fields(&frame));
                    let _ = (
                        authentication(&frame),
                        backend_key(&frame),
                        command_tag(&frame),
                    );
                    let _ = (
                        bind_names(&frame),
                        close_target(&frame),
                        ready_status(&frame),
                    );
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
}
