//! The hasher of every table whose keys come from a body or a stream (ids,
//! object keys, block positions): SipHash behind a per-instance secret, so that
//! nobody who writes a body can choose keys that share a bucket.
//!
//! NOTE: on wasm32-unknown-unknown, std's `RandomState` has the same keys in
//! every instance (there is no entropy source), so a table built with it is
//! open to keys searched offline to collide, and its lookups go from constant
//! to linear: a crafted history would make normalize quadratic. The binding
//! registers an entropy source (`set_entropy`, `crypto.getRandomValues`); it is
//! called once, at the first table, not when the module loads (workerd refuses
//! random values in a Worker's global scope). Natively, and in a wasm build
//! without that source, the secret comes from `RandomState`.

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// A table keyed by text from the input.
pub(crate) type Map<K, V> = HashMap<K, V, Keyed>;
/// A set of text from the input.
pub(crate) type Set<K> = HashSet<K, Keyed>;

static ENTROPY: OnceLock<fn() -> [u64; 2]> = OnceLock::new();
static PRIMED: OnceLock<DefaultHasher> = OnceLock::new();

/// Where the secret comes from, if not from `RandomState` (set once, before
/// the first table; later calls change nothing).
// NOTE: the binding of the stream-only module builds no table and sets none.
#[cfg_attr(
    not(all(target_arch = "wasm32", any(feature = "history", feature = "verdict"))),
    allow(dead_code)
)]
pub(crate) fn set_entropy(source: fn() -> [u64; 2]) {
    let _ = ENTROPY.set(source);
}

/// The [`BuildHasher`] of [`Map`] and [`Set`]: every hasher it builds has the
/// secret already written into it.
// NOTE: zero-sized, as std's `RandomState` is not (16 B): a list of a set per
// turn stays as small. The secret's hasher lives once, in `PRIMED`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Keyed;

impl BuildHasher for Keyed {
    type Hasher = Sip;

    fn build_hasher(&self) -> Sip {
        Sip(PRIMED
            .get_or_init(|| primed(ENTROPY.get().map_or_else(from_random_state, |f| f())))
            .clone())
    }
}

/// The hasher [`Keyed`] builds: SipHash-1-3 primed with the secret.
// NOTE: its steps out of line, one copy each (wasm size): std's are inlined
// into every table operation.
pub(crate) struct Sip(DefaultHasher);

impl Hasher for Sip {
    #[inline(never)]
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    #[inline(never)]
    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

// NOTE: `DefaultHasher::new()` is SipHash-1-3 with public zero keys. Writing
// 16 secret bytes first leaves its state unknown to whoever writes the input,
// as a keyed SipHash's initial state is; cloning that state costs nothing per
// hash.
fn primed([a, b]: [u64; 2]) -> DefaultHasher {
    let mut hasher = DefaultHasher::new();
    hasher.write_u64(a);
    hasher.write_u64(b);
    hasher
}

fn from_random_state() -> [u64; 2] {
    let state = RandomState::new();
    [state.hash_one(1u8), state.hash_one(2u8)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn hash(secret: [u64; 2], id: &str) -> u64 {
        let mut hasher = primed(secret);
        id.hash(&mut hasher);
        hasher.finish()
    }

    /// Ids whose hashes under `secret` end in the same `bits` bits: what an
    /// attacker who knew the secret would search for.
    fn colliding(secret: [u64; 2], bits: u32, count: usize) -> Vec<String> {
        let mask = (1u64 << bits) - 1;
        (0u64..)
            .map(|i| format!("toolu_{i}"))
            .filter(|id| hash(secret, id) & mask == 0)
            .take(count)
            .collect()
    }

    #[test]
    fn keys_that_collide_under_one_secret_spread_under_another() {
        let ids = colliding([1, 2], 10, 64);
        assert!(ids.iter().all(|id| hash([1, 2], id) & 1023 == 0));
        for secret in [[1, 3], [2, 2], [u64::MAX, 0]] {
            let mut buckets: Vec<u64> = ids.iter().map(|id| hash(secret, id) & 1023).collect();
            buckets.sort_unstable();
            buckets.dedup();
            // 64 ids in 1,024 buckets: ~62 distinct when spread at random.
            assert!(buckets.len() > 48, "{secret:?}: {} buckets", buckets.len());
        }
    }

    #[test]
    fn the_tables_hash_as_their_secret_does() {
        let keyed = Keyed.hash_one("toolu_01");
        assert_eq!(keyed, Keyed.hash_one("toolu_01"));
        assert_ne!(keyed, Keyed.hash_one("toolu_02"));
        // Not the public keys' hash: a secret was written first.
        assert_ne!(
            keyed,
            std::hash::BuildHasherDefault::<DefaultHasher>::default().hash_one("toolu_01")
        );
    }
}
