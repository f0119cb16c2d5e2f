//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as a PostgreSQL client speaks it: what the proxy
//! answers when the database asks it for a password this way. Pure: the nonce comes in
//! as an argument.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    #[error("the server's SCRAM message is malformed: {0}")]
    Malformed(&'static str),
    #[error("the server's nonce does not extend ours")]
    Nonce,
    #[error("the server could not prove it knows the password")]
    ServerSignature,
    #[error("the server refused: {0}")]
    Refused(String),
}

/// One SCRAM exchange, from the client's side.
#[derive(Debug, Clone)]
pub struct Scram {
    password: String,
    client_first_bare: String,
    nonce: String,
    /// Set once the server's first message is answered.
    expected_server_signature: Option<[u8; 32]>,
}

impl Scram {
    /// `nonce`: printable random characters, no comma.
    pub fn new(password: &str, nonce: &str) -> Self {
        // PostgreSQL takes the user from the startup message; the SCRAM user is empty.
        let client_first_bare = format!("n=,r={nonce}");
        Scram {
            password: password.to_owned(),
            client_first_bare,
            nonce: nonce.to_owned(),
            expected_server_signature: None,
        }
    }

    /// The client's first message (no channel binding).
    pub fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    /// The answer to the server's first message.
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, ScramError> {
        let text =
            std::str::from_utf8(server_first).map_err(|_| ScramError::Malformed("not text"))?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for part in text.split(',') {
            match part.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(v),
                Some(("i", v)) => iterations = v.parse::<u32>().ok(),
                Some(("e", v)) => return Err(ScramError::Refused(v.to_owned())),
                _ => {}
            }
        }
        let nonce = nonce.ok_or(ScramError::Malformed("no nonce"))?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(ScramError::Nonce);
        }
        let salt = STANDARD
            .decode(salt.ok_or(ScramError::Malformed("no salt"))?)
            .map_err(|_| ScramError::Malformed("the salt is not base64"))?;
        let iterations = iterations
            .filter(|i| *i > 0)
            .ok_or(ScramError::Malformed("no iteration count"))?;
        let salted = pbkdf2(self.password.as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{text},{without_proof}", self.client_first_bare);
        let signature = hmac(&stored_key, auth_message.as_bytes());
        let mut proof = client_key;
        for (p, s) in proof.iter_mut().zip(signature) {
            *p ^= s;
        }
        let server_key = hmac(&salted, b"Server Key");
        self.expected_server_signature = Some(hmac(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", STANDARD.encode(proof)).into_bytes())
    }

    /// Checks the server's final message: it proves the server knew the password.
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), ScramError> {
        let text =
            std::str::from_utf8(server_final).map_err(|_| ScramError::Malformed("not text"))?;
        if let Some(error) = text.strip_prefix("e=") {
            return Err(ScramError::Refused(error.to_owned()));
        }
        let signature = text
            .strip_prefix("v=")
            .and_then(|v| STANDARD.decode(v.trim()).ok())
            .ok_or(ScramError::Malformed("no server signature"))?;
        match self.expected_server_signature {
            Some(expected) if signature == expected => Ok(()),
            _ => Err(ScramError::ServerSignature),
        }
    }
}

/// HMAC-SHA-256 (RFC 2104).
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    let hashed;
    let key = if key.len() > 64 {
        hashed = Sha256::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    for (b, k) in block.iter_mut().zip(key) {
        *b = *k;
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA-256 with one block of output (RFC 8018), as SCRAM needs.
fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &first);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677, section 3: user "user", password "pencil".
    #[test]
    fn the_rfc_7677_exchange() {
        let mut scram = Scram::new("pencil", "rOprNGfwEbeRWgbNEkqO");
        // The RFC's client names the user; PostgreSQL's leaves it empty, which changes
        // the signed message, so the RFC's bare message is put in place here.
        scram.client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO".to_owned();
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let client_final = scram.client_final(server_first).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&client_final),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            scram.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            Ok(())
        );
        assert_eq!(
            scram.verify_server_final(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            Err(ScramError::ServerSignature)
        );
    }

    #[test]
    fn a_server_that_does_not_extend_the_nonce_is_refused() {
        let mut scram = Scram::new("pencil", "abc");
        assert_eq!(
            scram.client_final(b"r=xyz,s=AAAA,i=1"),
            Err(ScramError::Nonce)
        );
        assert_eq!(
            scram.client_final(b"e=invalid-proof"),
            Err(ScramError::Refused("invalid-proof".to_owned()))
        );
    }
}
