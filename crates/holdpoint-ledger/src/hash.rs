//! SHA-256 values as the ledger shows them (`sha256:<hex>`), and the two RFC 6962 hash
//! forms: leaves and interior nodes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A SHA-256 value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev` of the first record: no record comes before it.
    pub const ZERO: Hash = Hash([0; 32]);

    /// RFC 6962 leaf hash: `SHA-256(0x00 || data)`. A record's hash is the leaf hash of
    /// its stored bytes, so the chain and the Merkle tree hash each record once.
    pub fn leaf(data: &[u8]) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update([0u8]);
        hasher.update(data);
        Hash(hasher.finalize().into())
    }

    /// RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
    pub fn node(left: &Hash, right: &Hash) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update([1u8]);
        hasher.update(left.0);
        hasher.update(right.0);
        Hash(hasher.finalize().into())
    }

    /// The root of an empty tree: the hash of the empty string.
    pub fn empty() -> Hash {
        Hash(Sha256::digest([]).into())
    }

    /// Plain SHA-256 of some bytes.
    pub fn of(data: &[u8]) -> Hash {
        Hash(Sha256::digest(data).into())
    }

    pub fn hex(&self) -> String {
        hex(&self.0)
    }
}

/// Bytes as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for digit in [byte >> 4, byte & 0x0f] {
            out.push(char::from_digit(u32::from(digit), 16).unwrap_or('0'));
        }
    }
    out
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written for every record: without a string in between.
        let mut text = *b"sha256:0000000000000000000000000000000000000000000000000000000000000000";
        let digits = self.0.iter().flat_map(|byte| [byte >> 4, byte & 0x0f]);
        for (slot, digit) in text.iter_mut().skip(7).zip(digits) {
            *slot = b"0123456789abcdef"
                .get(usize::from(digit))
                .copied()
                .unwrap_or(b'0');
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Text that is not a `sha256:<64 hex digits>` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a sha256 value (`sha256:` and 64 hex digits)")]
pub struct ParseHashError(pub String);

impl FromStr for Hash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseHashError(s.to_owned());
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| bad())?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| bad())?;
        }
        Ok(Hash(out))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_text() {
        let h = Hash::leaf(b"x");
        assert_eq!(h.to_string().parse::<Hash>(), Ok(h));
        assert!("sha256:zz".parse::<Hash>().is_err());
    }

    #[test]
    fn rfc6962_empty_root_and_leaf() {
        // Test vectors from RFC 6962's reference implementation (certificate-transparency-go
        // merkle tests): the empty tree, and the leaf hash of the empty string.
        assert_eq!(
            Hash::empty().hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            Hash::leaf(b"").hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
