//! [`Node`]: one node of a quicklist, in one of three forms: a listpack of
//! several elements, a "plain" node holding one element too large to pack
//! (at least `packed_threshold` bytes), or either of those LZF-compressed
//! (interior nodes beyond `list-compress-depth` from both ends).

use super::packed::{visit_listpack, Packed};
use super::Element;
use crate::listpack::{Listpack, LpEntry};
use crate::lzf;

/// Nodes smaller than this are never compressed (`MIN_COMPRESS_BYTES`).
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression is kept only if it saves more than this many bytes
/// (`MIN_COMPRESS_IMPROVE`).
const MIN_COMPRESS_IMPROVE: usize = 8;

/// A quicklist node.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Elements in a listpack.
    Packed(Packed),
    /// One large element, stored as is.
    Plain(Box<[u8]>),
    /// A compressed packed or plain node.
    Lzf(Lzf),
}

/// A compressed node, with what must be known without decompressing it.
#[derive(Clone, Debug)]
pub(crate) struct Lzf {
    data: Box<[u8]>,
    /// Uncompressed size in bytes.
    sz: usize,
    /// Number of elements.
    count: u32,
    /// True for a compressed plain node.
    plain: bool,
}

impl Node {
    /// A packed node holding one element.
    pub(crate) fn packed_with(value: &[u8]) -> Node {
        let mut lp = Listpack::new();
        lp.append(value);
        Node::Packed(Packed::from_listpack(lp))
    }

    /// A plain node holding `value`.
    pub(crate) fn plain(value: &[u8]) -> Node {
        Node::Plain(value.into())
    }

    /// Number of elements.
    pub(crate) fn count(&self) -> usize {
        match self {
            Node::Packed(p) => p.len(),
            Node::Plain(_) => 1,
            Node::Lzf(z) => z.count as usize,
        }
    }

    /// Uncompressed size in bytes (Redis's `node->sz`): the listpack's
    /// serialized size, or the element's length for a plain node.
    pub(crate) fn sz(&self) -> usize {
        match self {
            Node::Packed(p) => p.bytes_len(),
            Node::Plain(b) => b.len(),
            Node::Lzf(z) => z.sz,
        }
    }

    /// True for a plain node, compressed or not.
    pub(crate) fn is_plain(&self) -> bool {
        match self {
            Node::Plain(_) => true,
            Node::Lzf(z) => z.plain,
            Node::Packed(_) => false,
        }
    }

    /// True when compressed.
    #[cfg(test)]
    pub(crate) fn is_compressed(&self) -> bool {
        matches!(self, Node::Lzf(_))
    }

    /// Bytes allocated for the node's data.
    pub(crate) fn heap_size(&self) -> usize {
        match self {
            Node::Packed(p) => p.bytes_len(),
            Node::Plain(b) => b.len(),
            Node::Lzf(z) => z.data.len(),
        }
    }

    /// Compresses the node if it is big enough and compression saves
    /// enough (`__quicklistCompressNode`); otherwise leaves it as it is.
    pub(crate) fn compress(&mut self) {
        let (bytes, plain, count) = match self {
            Node::Packed(p) => (p.as_bytes(), false, p.len()),
            Node::Plain(b) => (&b[..], true, 1),
            Node::Lzf(_) => return,
        };
        let sz = bytes.len();
        if sz < MIN_COMPRESS_BYTES {
            return;
        }
        let Some(data) = lzf::compress_bounded(bytes, sz) else {
            return;
        };
        if data.len() + MIN_COMPRESS_IMPROVE >= sz {
            return;
        }
        *self = Node::Lzf(Lzf {
            data: data.into_boxed_slice(),
            sz,
            count: count as u32,
            plain,
        });
    }

    /// Restores a compressed node to its plain or packed form.
    pub(crate) fn decompress(&mut self) {
        if let Node::Lzf(z) = self {
            let raw = z.expand();
            *self = if z.plain {
                Node::Plain(raw.into_boxed_slice())
            } else {
                Node::Packed(Packed::from_listpack(Listpack::from_trusted_bytes(raw)))
            };
        }
    }

    /// The listpack of an uncompressed packed node. Callers decompress
    /// first and never ask a plain node.
    pub(crate) fn packed_mut(&mut self) -> &mut Packed {
        match self {
            Node::Packed(p) => p,
            _ => unreachable!("listpack access to a plain or compressed node"),
        }
    }

    /// The element at `offset`, if there is one.
    pub(crate) fn get(&mut self, offset: usize) -> Option<Element> {
        let mut out = None;
        self.visit(Some(offset), false, |e| {
            out = Some(Element::from_entry(e));
            false
        });
        out
    }

    /// Calls `f` on elements from `from` (the first or last element in
    /// the direction of travel when `None`) towards the tail, or the head
    /// when `reverse`, until `f` returns false (then returns false) or the
    /// node ends (then returns true). A compressed node is read from a
    /// temporary copy and stays compressed.
    pub(crate) fn visit(
        &mut self,
        from: Option<usize>,
        reverse: bool,
        mut f: impl FnMut(LpEntry<'_>) -> bool,
    ) -> bool {
        match self {
            Node::Plain(b) => f(LpEntry::Str(b)),
            Node::Packed(p) => p.read(|lp| visit_listpack(lp, from, reverse, f)),
            Node::Lzf(z) => {
                let raw = z.expand();
                if z.plain {
                    f(LpEntry::Str(&raw))
                } else {
                    visit_listpack(&Listpack::from_trusted_bytes(raw), from, reverse, f)
                }
            }
        }
    }
}

impl Node {
    /// The node's container and bytes, compressed or not, for writing it
    /// out without decompressing.
    pub(crate) fn rdb_form(&self) -> super::RdbNode<'_> {
        match self {
            Node::Packed(p) => super::RdbNode::Packed(p.as_bytes()),
            Node::Plain(b) => super::RdbNode::Plain(b),
            Node::Lzf(z) => super::RdbNode::Compressed {
                data: &z.data,
                raw_len: z.sz,
                plain: z.plain,
            },
        }
    }
}

impl Node {
    /// Calls `f` on every element through a shared borrow, reading a
    /// packed node from a copy.
    pub(crate) fn for_each(&self, mut f: impl FnMut(LpEntry<'_>)) {
        let mut all = |e: LpEntry<'_>| {
            f(e);
            true
        };
        match self {
            Node::Plain(b) => {
                all(LpEntry::Str(b));
            }
            Node::Packed(p) => {
                visit_listpack(&p.to_listpack(), None, false, all);
            }
            Node::Lzf(z) => {
                let raw = z.expand();
                if z.plain {
                    all(LpEntry::Str(&raw));
                } else {
                    visit_listpack(&Listpack::from_trusted_bytes(raw), None, false, all);
                }
            }
        }
    }
}

impl Lzf {
    /// The uncompressed bytes. Compressed data is only ever produced here,
    /// so failing to expand it is a bug, not bad input.
    fn expand(&self) -> Vec<u8> {
        lzf::decompress(&self.data, self.sz).expect("quicklist node compressed by us expands")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(values: &[&[u8]]) -> Node {
        let mut lp = Listpack::new();
        for v in values {
            lp.append(v);
        }
        Node::Packed(Packed::from_listpack(lp))
    }

    fn collect(node: &mut Node, reverse: bool) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        node.visit(None, reverse, |e| {
            out.push(e.to_vec());
            true
        });
        out
    }

    #[test]
    fn compression_round_trips_and_keeps_counts() {
        let long = vec![b'a'; 200];
        let mut n = packed(&[&long, b"12", &long]);
        let sz = n.sz();
        n.compress();
        assert!(n.is_compressed());
        assert_eq!(n.count(), 3);
        assert_eq!(n.sz(), sz);
        assert!(n.heap_size() < sz);
        assert_eq!(collect(&mut n, true)[1], b"12");
        assert!(n.is_compressed(), "reading leaves the node compressed");
        n.decompress();
        assert!(!n.is_compressed());
        assert_eq!(
            collect(&mut n, false),
            vec![long.clone(), b"12".to_vec(), long]
        );
    }

    #[test]
    fn small_or_incompressible_nodes_stay_raw() {
        let mut small = packed(&[b"abc"]);
        small.compress();
        assert!(!small.is_compressed());
        let noise: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let mut n = Node::plain(&noise);
        n.compress();
        assert!(!n.is_compressed());
        let mut big = Node::plain(&[b'z'; 500]);
        big.compress();
        assert!(big.is_compressed() && big.is_plain());
        assert_eq!(big.get(0), Some(Element::Bytes(vec![b'z'; 500])));
    }
}
