//! Signed statements: checkpoints over the Merkle root and size of the ledger, and
//! receipts for single decisions. Both are Ed25519 signatures over a versioned text, so
//! anyone with the public key can check them offline.

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, Verifier as _};
use serde::{Deserialize, Serialize};

use crate::hash::Hash;

/// The deployment's signing key.
pub struct SigningKey(ed25519_dalek::SigningKey);

/// The public half, for verifying.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never appears in logs or panics.
        write!(f, "SigningKey({})", key_id(&self.verifying_key()))
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", key_id(self))
    }
}

/// A key file that does not hold a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key is not 64 hex digits")]
    NotHex,
    #[error("the public key is not a valid Ed25519 point")]
    BadPoint,
}

fn parse_hex32(text: &str) -> Result<[u8; 32], KeyError> {
    let text = text.trim();
    if text.len() != 64 {
        return Err(KeyError::NotHex);
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| KeyError::NotHex)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| KeyError::NotHex)?;
    }
    Ok(out)
}

impl SigningKey {
    /// A key from 32 random bytes, which the caller draws from the operating system.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Parses the text of a key file (the seed in hex).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        Ok(SigningKey::from_seed(parse_hex32(text)?))
    }

    /// The text of a key file.
    pub fn to_text(&self) -> String {
        format!("{}\n", Hash(self.0.to_bytes()).hex())
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    fn sign(&self, message: &[u8]) -> String {
        let signature = self.0.sign(message).to_bytes();
        let mut out = String::with_capacity(128);
        for half in signature.chunks(32) {
            let mut bytes = [0u8; 32];
            bytes.copy_from_slice(half);
            out.push_str(&Hash(bytes).hex());
        }
        out
    }
}

impl VerifyingKey {
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let bytes = parse_hex32(text)?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(VerifyingKey)
            .map_err(|_| KeyError::BadPoint)
    }

    pub fn to_text(&self) -> String {
        format!("{}\n", Hash(self.0.to_bytes()).hex())
    }

    fn verify(&self, message: &[u8], signature_hex: &str) -> bool {
        if signature_hex.len() != 128 {
            return false;
        }
        let (Some(a), Some(b)) = (signature_hex.get(..64), signature_hex.get(64..)) else {
            return false;
        };
        let (Ok(a), Ok(b)) = (parse_hex32(a), parse_hex32(b)) else {
            return false;
        };
        let mut bytes = [0u8; 64];
        let (first, second) = bytes.split_at_mut(32);
        first.copy_from_slice(&a);
        second.copy_from_slice(&b);
        self.0
            .verify(message, &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

/// A short name for a key: the first 16 hex digits of the SHA-256 of the public key.
pub fn key_id(key: &VerifyingKey) -> String {
    Hash::of(key.0.as_bytes()).hex().chars().take(16).collect()
}

/// A signed statement that the ledger had `size` records with this Merkle root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub size: u64,
    pub root: Hash,
    pub at_ms: i64,
    pub key_id: String,
    /// Ed25519 signature, hex, over [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The signed text: a version line, then size, root and time, one per line.
    pub fn message(size: u64, root: &Hash, at_ms: i64) -> String {
        format!("holdpoint.checkpoint.v1\n{size}\n{root}\n{at_ms}\n")
    }

    pub fn sign(size: u64, root: Hash, at_ms: i64, key: &SigningKey) -> Checkpoint {
        let signature = key.sign(Checkpoint::message(size, &root, at_ms).as_bytes());
        Checkpoint {
            size,
            root,
            at_ms,
            key_id: key_id(&key.verifying_key()),
            signature,
        }
    }

    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(
            Checkpoint::message(self.size, &self.root, self.at_ms).as_bytes(),
            &self.signature,
        )
    }
}

/// A signed receipt for one decision: what was proposed, by which agent in which session,
/// what was decided and why, and the ledger record that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub v: u32,
    /// The sequence number and hash of the `decided` record.
    pub record: u64,
    pub record_hash: Hash,
    pub at_ms: i64,
    pub agent: Option<String>,
    pub session: Option<String>,
    /// The human who approved, when an approval let the action through.
    pub human: Option<String>,
    pub os_user: Option<String>,
    pub digest: Option<String>,
    pub decision: String,
    pub risk: String,
    pub policies: Vec<String>,
    pub reasons: Vec<String>,
    pub approval: Option<String>,
    pub grant: Option<String>,
    pub key_id: String,
    /// Ed25519 signature, hex, over the receipt with this field empty.
    pub signature: String,
}

impl Receipt {
    fn message(&self) -> Vec<u8> {
        let unsigned = Receipt {
            signature: String::new(),
            ..self.clone()
        };
        let mut out = b"holdpoint.receipt.v1\n".to_vec();
        // Serialising a struct of strings and numbers cannot fail; an empty message
        // would only make the signature fail to verify.
        out.extend(serde_json::to_vec(&unsigned).unwrap_or_default());
        out
    }

    /// Fills in the key id and the signature.
    pub fn sign(mut self, key: &SigningKey) -> Receipt {
        self.key_id = key_id(&key.verifying_key());
        self.signature = key.sign(&self.message());
        self
    }

    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&self.message(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_seed([7; 32])
    }

    #[test]
    fn checkpoints_verify_only_unchanged() {
        let cp = Checkpoint::sign(10, Hash::leaf(b"r"), 99, &key());
        assert!(cp.verify(&key().verifying_key()));
        assert!(
            !Checkpoint {
                size: 11,
                ..cp.clone()
            }
            .verify(&key().verifying_key())
        );
        let other = SigningKey::from_seed([8; 32]);
        assert!(!cp.verify(&other.verifying_key()));
    }

    #[test]
    fn keys_round_trip_through_text() {
        let k = key();
        let again = SigningKey::from_text(&k.to_text()).unwrap();
        assert_eq!(again.verifying_key(), k.verifying_key());
        let public = VerifyingKey::from_text(&k.verifying_key().to_text()).unwrap();
        assert_eq!(public, k.verifying_key());
        assert_eq!(SigningKey::from_text("zz").err(), Some(KeyError::NotHex));
    }

    #[test]
    fn receipts_verify_only_unchanged() {
        let receipt = Receipt {
            v: 1,
            record: 4,
            record_hash: Hash::leaf(b"x"),
            at_ms: 1,
            agent: Some("claude-code".into()),
            session: Some("s".into()),
            human: None,
            os_user: None,
            digest: None,
            decision: "deny".into(),
            risk: "destroy".into(),
            policies: vec![],
            reasons: vec![],
            approval: None,
            grant: None,
            key_id: String::new(),
            signature: String::new(),
        }
        .sign(&key());
        assert!(receipt.verify(&key().verifying_key()));
        let forged = Receipt {
            decision: "allow".into(),
            ..receipt
        };
        assert!(!forged.verify(&key().verifying_key()));
    }
}
