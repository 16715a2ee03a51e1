//! The list's side of RDB serialization: its nodes as the format stores
//! them, and building a list from loaded nodes or elements the way Redis's
//! `rdbLoadObject` does. The byte formats themselves live in
//! [`crate::rdb::value`].

use super::node::Node;
use super::packed::Packed;
use super::quicklist::Quicklist;
use super::{End, List, ListConfig, Repr};
use crate::listpack::Listpack;

/// One quicklist node as `RDB_TYPE_LIST_QUICKLIST_2` stores it. A
/// listpack-encoded list is written as a quicklist of one packed node.
#[derive(Debug)]
pub(crate) enum RdbNode<'a> {
    /// An uncompressed listpack node.
    Packed(&'a [u8]),
    /// An uncompressed plain node: one large element.
    Plain(&'a [u8]),
    /// An LZF-compressed node, written as its compressed bytes (as Redis's
    /// `rdbSaveLzfBlob` does) so DUMP output matches Redis's byte for byte.
    Compressed {
        /// The LZF data.
        data: &'a [u8],
        /// The uncompressed size.
        raw_len: usize,
        /// True for a compressed plain node.
        plain: bool,
    },
}

/// A node read from an RDB payload, already validated.
#[derive(Debug)]
pub(crate) enum LoadedNode {
    /// A non-empty listpack node.
    Packed(Listpack),
    /// A plain node holding one element.
    Plain(Vec<u8>),
}

impl List {
    /// Calls `f` on each node in serialized form, head to tail.
    pub(crate) fn for_each_rdb_node(&self, mut f: impl FnMut(RdbNode<'_>)) {
        match &self.0 {
            Repr::Packed(p) => f(RdbNode::Packed(p.as_bytes())),
            Repr::Quick(q) => q.nodes().for_each(|n| f(n.rdb_form())),
        }
    }

    /// Number of nodes [`List::for_each_rdb_node`] visits.
    pub(crate) fn rdb_node_count(&self) -> usize {
        match &self.0 {
            Repr::Packed(_) => 1,
            Repr::Quick(q) => q.node_count(),
        }
    }

    /// A list made of loaded nodes, appended as they are to a quicklist
    /// with `cfg`'s node limit and compression, then turned into a listpack
    /// if it is one small packed node (Redis's load of
    /// `RDB_TYPE_LIST_QUICKLIST(_2)` followed by `LIST_CONV_AUTO`).
    /// `None` when there are no elements.
    pub(crate) fn from_loaded_nodes(nodes: Vec<LoadedNode>, cfg: &ListConfig) -> Option<List> {
        let mut q = Quicklist::new(cfg.max_listpack_size, cfg.compress_depth);
        for n in nodes {
            q.append_node(match n {
                LoadedNode::Packed(lp) => Node::Packed(Packed::from_listpack(lp)),
                LoadedNode::Plain(b) => Node::Plain(b.into_boxed_slice()),
            });
        }
        if q.len() == 0 {
            return None;
        }
        let mut list = List(Repr::Quick(Box::new(q)));
        list.settle_encoding(cfg);
        Some(list)
    }

    /// A quicklist of `values` pushed at the tail with `cfg`'s settings
    /// (loading `RDB_TYPE_LIST` and `RDB_TYPE_LIST_ZIPLIST`); with
    /// `settle`, turned into a listpack if small enough, as Redis does
    /// for the former but not the latter. `None` when there are none.
    pub(crate) fn from_loaded_values<'a>(
        values: impl IntoIterator<Item = &'a [u8]>,
        cfg: &ListConfig,
        settle: bool,
    ) -> Option<List> {
        let mut q = Quicklist::new(cfg.max_listpack_size, cfg.compress_depth);
        for v in values {
            q.push(End::Tail, v, cfg.packed_threshold);
        }
        if q.len() == 0 {
            return None;
        }
        let mut list = List(Repr::Quick(Box::new(q)));
        if settle {
            list.settle_encoding(cfg);
        }
        Some(list)
    }
}
