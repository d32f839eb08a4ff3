//! The Merkle tree of RFC 9162 (Certificate Transparency 2.0), §2.1.
//!
//! * leaf hash: `SHA-256(0x00 ‖ entry bytes)`;
//! * interior node: `SHA-256(0x01 ‖ left ‖ right)`;
//! * the Merkle tree hash (MTH) of n leaves splits them at the largest power
//!   of two smaller than n; the MTH of no leaves is `SHA-256("")`.
//!
//! Proof generation and verification follow the RFC's algorithms
//! (§2.1.3 inclusion, §2.1.4 consistency) literally. Generation works on the
//! leaf hashes of the whole tree and computes only the sibling subtrees it
//! needs, so a proof costs O(n) hashing; verification costs O(log n).
//! [`Frontier`] keeps the roots of the perfect subtrees of a growing tree,
//! so appending a leaf and asking for the root cost O(log n).

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// `SHA-256("")`, the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The leaf hash of one entry: `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// An interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The Merkle tree hash of a list of leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof (audit path) of leaf `index` in the tree of
/// `leaves` (RFC 9162 §2.1.3.1, `PATH(m, D[n])`); `None` if the index is
/// outside the tree.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    path_into(leaves, index, &mut path);
    Some(path)
}

fn path_into(leaves: &[Hash], m: usize, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    // The path lists siblings from the leaf upwards, so recurse first.
    if m < k {
        path_into(&leaves[..k], m, out);
        out.push(root(&leaves[k..]));
    } else {
        path_into(&leaves[k..], m - k, out);
        out.push(root(&leaves[..k]));
    }
}

/// The consistency proof between the first `m` leaves and all of `leaves`
/// (RFC 9162 §2.1.4.1, `PROOF(m, D[n])`); `None` if `m` exceeds the tree.
/// Empty when `m` is 0 or the whole tree.
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Option<Vec<Hash>> {
    let n = leaves.len();
    if m > n {
        return None;
    }
    let mut out = Vec::new();
    if m > 0 && m < n {
        subproof(leaves, m, true, &mut out);
    }
    Some(out)
}

fn subproof(leaves: &[Hash], m: usize, whole: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(&leaves[..k], m, whole, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(&leaves[k..], m - k, false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the proof has the wrong number of hashes for this position and size")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    #[error("a tree of size {second} cannot extend a larger tree of size {first}")]
    Shrinks { first: u64, second: u64 },
    #[error("the proof between two trees of the same size must be empty and their roots equal")]
    SameSize,
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    expected_root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != expected_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof between a tree of size `first` with root
/// `first_root` and a tree of size `second` with root `second_root`
/// (RFC 9162 §2.1.4.2, with the trivial cases: a tree always extends the
/// empty tree, and a tree of the same size only itself).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::Shrinks { first, second });
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::SameSize)
        };
    }
    if first == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    // Step 1: an empty path proves nothing between different sizes.
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // Step 2: when `first` is a power of two, its root is the path's start.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    // Steps 3 and 4.
    let mut fn_ = first - 1;
    let mut sn = second - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let mut fr = path[0];
    let mut sr = path[0];
    // Step 6.
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != first_root || &sr != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a growing tree: the roots of its perfect subtrees,
/// largest (leftmost) first, which is all that appending needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One root per set bit of `size`, from the highest bit down.
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of a tree, built from its leaf hashes.
    pub fn from_leaves(leaves: &[Hash]) -> Self {
        let mut f = Self::new();
        for l in leaves {
            f.push(*l);
        }
        f
    }

    /// Restores a frontier saved with [`Frontier::to_bytes`]; `None` when
    /// the bytes do not hold one root per set bit of `size`.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Option<Self> {
        if bytes.len() % 32 != 0 || bytes.len() / 32 != size.count_ones() as usize {
            return None;
        }
        let nodes = bytes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Some(Self { size, nodes })
    }

    /// The roots, concatenated, for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.nodes.concat()
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        // Each trailing one bit of the old size is a perfect subtree of the
        // same height as the carry: merge them, as binary addition does.
        let mut size = self.size;
        while size & 1 == 1 {
            if let Some(left) = self.nodes.pop() {
                node = node_hash(&left, &node);
            }
            size >>= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The Merkle tree hash of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        // The smallest subtrees hang furthest right: fold from the right.
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        let v = hex::decode(s).expect("hex");
        let mut out = [0u8; 32];
        out.copy_from_slice(&v);
        out
    }

    /// The eight leaves of the Certificate Transparency test data, also used
    /// by Go's `transparency-dev/merkle` (`testonly/constants.go`).
    fn leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|x| leaf_hash(&hex::decode(x).expect("hex")))
        .collect()
    }

    /// Roots of the trees of the first 1..=8 leaves (the same source).
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn roots_match_the_ct_test_vectors() {
        let l = leaves();
        assert_eq!(
            empty_root(),
            h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for n in 1..=8 {
            assert_eq!(root(&l[..n]), h(ROOTS[n - 1]), "root of {n}");
            f.push(l[n - 1]);
            assert_eq!(f.root(), h(ROOTS[n - 1]), "frontier root of {n}");
            let saved = Frontier::from_bytes(f.size(), &f.to_bytes()).expect("restores");
            assert_eq!(saved, f);
        }
        assert!(Frontier::from_bytes(3, &[0u8; 32]).is_none());
    }

    /// Inclusion proofs from `proof/verify_test.go` (leaf indices there are
    /// 1-based).
    #[test]
    fn inclusion_proofs_match_the_test_vectors() {
        let l = leaves();
        let vectors: &[(usize, usize, &[&str])] = &[
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|x| h(x)).collect();
            let got = inclusion_proof(&l[..*size], *index).expect("in range");
            assert_eq!(got, want, "path of {index} in {size}");
            let r = h(ROOTS[size - 1]);
            verify_inclusion(*index as u64, *size as u64, &l[*index], &got, &r)
                .expect("known-good proof verifies");
        }
        assert!(inclusion_proof(&l[..3], 3).is_none());
    }

    /// Consistency proofs from `proof/verify_test.go`.
    #[test]
    fn consistency_proofs_match_the_test_vectors() {
        let l = leaves();
        let vectors: &[(usize, usize, &[&str])] = &[
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (m, n, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|x| h(x)).collect();
            let got = consistency_proof(&l[..*n], *m).expect("in range");
            assert_eq!(got, want, "proof {m} -> {n}");
            verify_consistency(
                *m as u64,
                *n as u64,
                &h(ROOTS[m - 1]),
                &h(ROOTS[n - 1]),
                &got,
            )
            .expect("known-good proof verifies");
        }
    }

    /// Every (index, size) and (m, n) up to 40 leaves: generated proofs
    /// verify, and corrupted ones (the probes of Go's test suite) do not.
    #[test]
    fn every_small_proof_round_trips_and_corruptions_fail() {
        let l: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let other = leaf_hash(b"other");
        for n in 1..=l.len() {
            let r = root(&l[..n]);
            for i in 0..n {
                let p = inclusion_proof(&l[..n], i).expect("in range");
                let (i, n64) = (i as u64, n as u64);
                verify_inclusion(i, n64, &l[i as usize], &p, &r).expect("verifies");
                assert!(verify_inclusion(i + 1, n64, &l[i as usize], &p, &r).is_err());
                if i > 0 {
                    assert!(verify_inclusion(i - 1, n64, &l[i as usize], &p, &r).is_err());
                }
                assert!(verify_inclusion(i, n64 * 2, &l[i as usize], &p, &r).is_err());
                assert!(verify_inclusion(i, n64, &other, &p, &r).is_err());
                assert!(verify_inclusion(i, n64, &l[i as usize], &p, &other).is_err());
                let mut longer = p.clone();
                longer.push(r);
                assert!(verify_inclusion(i, n64, &l[i as usize], &longer, &r).is_err());
                if !p.is_empty() {
                    assert!(
                        verify_inclusion(i, n64, &l[i as usize], &p[..p.len() - 1], &r).is_err()
                    );
                    for k in 0..p.len() {
                        let mut bad = p.clone();
                        bad[k][0] ^= 8;
                        assert!(verify_inclusion(i, n64, &l[i as usize], &bad, &r).is_err());
                    }
                }
            }
            for m in 1..n {
                let p = consistency_proof(&l[..n], m).expect("in range");
                let r1 = root(&l[..m]);
                let (m64, n64) = (m as u64, n as u64);
                verify_consistency(m64, n64, &r1, &r, &p).expect("verifies");
                assert!(verify_consistency(m64, n64, &r, &r1, &p).is_err());
                assert!(verify_consistency(m64, n64, &other, &r, &p).is_err());
                assert!(verify_consistency(m64, n64, &r1, &other, &p).is_err());
                assert!(verify_consistency(m64 + 1, n64, &r1, &r, &p).is_err());
                assert!(verify_consistency(m64, n64 * 2, &r1, &r, &p).is_err());
                if n64 / 2 > m64 {
                    assert!(verify_consistency(m64, n64 / 2, &r1, &r, &p).is_err());
                }
                assert!(verify_consistency(m64, n64, &r1, &r, &[]).is_err());
                assert!(verify_consistency(n64, m64, &r, &r1, &p).is_err());
                for k in 0..p.len() {
                    let mut bad = p.clone();
                    bad[k][0] ^= 16;
                    assert!(verify_consistency(m64, n64, &r1, &r, &bad).is_err());
                }
            }
        }
    }

    /// The trivial cases of Go's `TestVerifyConsistency`.
    #[test]
    fn trivial_consistency_cases() {
        let (a, b) = (leaf_hash(b"1"), leaf_hash(b"2"));
        let e = empty_root();
        assert!(verify_consistency(0, 0, &a, &a, &[]).is_ok());
        assert!(verify_consistency(0, 1, &a, &b, &[]).is_ok());
        assert!(verify_consistency(1, 1, &b, &b, &[]).is_ok());
        assert!(verify_consistency(0, 0, &a, &b, &[]).is_err());
        assert!(verify_consistency(1, 1, &a, &b, &[]).is_err());
        assert!(verify_consistency(1, 0, &a, &b, &[]).is_err());
        assert!(verify_consistency(2, 1, &a, &b, &[]).is_err());
        assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
        assert!(verify_consistency(0, 0, &e, &e, &[e]).is_err());
        assert!(verify_consistency(0, 1, &e, &e, &[e]).is_err());
        assert!(verify_consistency(1, 1, &e, &e, &[e]).is_err());
        assert!(verify_inclusion(0, 0, &a, &[], &a).is_err());
        assert!(verify_inclusion(0, 1, &a, &[], &a).is_ok());
        assert!(verify_inclusion(2, 1, &a, &[], &a).is_err());
    }
}
