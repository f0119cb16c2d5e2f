//! The Merkle tree over ledger records, kept as its frontier: the roots of the perfect
//! subtrees that make up the tree so far, left to right. The frontier is enough to
//! append and to compute the RFC 6962 root, so a checkpoint never rereads old records.

use serde::{Deserialize, Serialize};

use crate::hash::Hash;

/// The perfect subtrees of a tree of `size` leaves, largest (leftmost) first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frontier {
    size: u64,
    /// `(height, root)`: a subtree of height `h` holds `2^h` leaves.
    // INVARIANT: heights strictly decrease and are the set bits of `size`.
    subtrees: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf given its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = (0u32, leaf);
        // INVARIANT: merging equal heights keeps the heights strictly decreasing.
        while let Some(&(height, left)) = self.subtrees.last() {
            if height != carry.0 {
                break;
            }
            self.subtrees.pop();
            carry = (height + 1, Hash::node(&left, &carry.1));
        }
        self.subtrees.push(carry);
        self.size += 1;
    }

    /// The RFC 6962 Merkle tree hash of the leaves so far. For a size that is not a power
    /// of two the tree splits at the largest power of two below it, which is the same as
    /// folding the subtrees together from the right.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, mut acc)) = subtrees.next() else {
            return Hash::empty();
        };
        for (_, left) in subtrees {
            acc = Hash::node(left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6962 definition, written out recursively.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Hash::empty(),
            1 => leaves[0],
            n => {
                // The largest power of two smaller than n.
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                Hash::node(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_root_matches_the_recursive_definition() {
        let leaves: Vec<Hash> = (0..70u32).map(|i| Hash::leaf(&i.to_be_bytes())).collect();
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), Hash::empty());
        for (i, leaf) in leaves.iter().enumerate() {
            frontier.push(*leaf);
            assert_eq!(frontier.root(), mth(&leaves[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn rfc6962_test_vector() {
        // The eight leaves of certificate-transparency's reference tests and the root
        // of the full tree.
        let inputs: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let mut frontier = Frontier::default();
        for input in inputs {
            frontier.push(Hash::leaf(input));
        }
        assert_eq!(
            frontier.root().hex(),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
    }
}
