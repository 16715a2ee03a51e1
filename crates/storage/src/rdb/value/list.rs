//! Lists: written as `RDB_TYPE_LIST_QUICKLIST_2` (a listpack-encoded list
//! as a quicklist of one packed node, as Redis 7.2 does); read from that,
//! `RDB_TYPE_LIST_QUICKLIST` (ziplist nodes), `RDB_TYPE_LIST_ZIPLIST` and
//! the plain `RDB_TYPE_LIST`.

use super::packed::{read_listpack, read_ziplist};
use super::{types, ziplist};
use crate::list::{List, ListConfig, LoadedNode, RdbNode};
use crate::rdb::{write_len, write_lzf_blob, write_string, RdbError, RdbOut, Reader};

/// Quicklist node containers (`QUICKLIST_NODE_CONTAINER_*`).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// Appends the body of `list` (its type is always `LIST_QUICKLIST_2`).
pub(super) fn encode<O: RdbOut + ?Sized>(list: &List, out: &mut O, compress: bool) {
    write_len(out, list.rdb_node_count() as u64);
    list.for_each_rdb_node(|node| match node {
        RdbNode::Packed(b) => {
            write_len(out, CONTAINER_PACKED);
            write_string(out, b, compress);
        }
        RdbNode::Plain(b) => {
            write_len(out, CONTAINER_PLAIN);
            write_string(out, b, compress);
        }
        RdbNode::Compressed {
            data,
            raw_len,
            plain,
        } => {
            write_len(
                out,
                if plain {
                    CONTAINER_PLAIN
                } else {
                    CONTAINER_PACKED
                },
            );
            write_lzf_blob(out, data, raw_len);
        }
    });
}

/// Reads a list body of type `type_byte`.
pub(super) fn decode(
    r: &mut Reader<'_>,
    type_byte: u8,
    cfg: &ListConfig,
) -> Result<List, RdbError> {
    let list = match type_byte {
        types::LIST => {
            let n = r.count(1)?;
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                values.push(r.string()?);
            }
            List::from_loaded_values(values.iter().map(Vec::as_slice), cfg, true)
        }
        types::LIST_ZIPLIST => {
            let zl = r.string()?;
            let entries = ziplist::entries(&zl).ok_or(RdbError::Corrupt)?;
            let values: Vec<Vec<u8>> = entries.iter().map(|e| e.to_vec()).collect();
            List::from_loaded_values(values.iter().map(Vec::as_slice), cfg, false)
        }
        _ => List::from_loaded_nodes(read_nodes(r, type_byte == types::LIST_QUICKLIST_2)?, cfg),
    };
    list.ok_or(RdbError::Corrupt)
}

/// Reads a quicklist's nodes: a count, then per node its container
/// (version 2 only) and its bytes. Empty listpack nodes are skipped, as
/// Redis skips them.
fn read_nodes(r: &mut Reader<'_>, version_2: bool) -> Result<Vec<LoadedNode>, RdbError> {
    let n = r.count(if version_2 { 2 } else { 1 })?;
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        let container = if version_2 {
            r.length()?
        } else {
            CONTAINER_PACKED
        };
        match container {
            CONTAINER_PLAIN => {
                let b = r.string()?;
                if b.is_empty() {
                    return Err(RdbError::Corrupt);
                }
                nodes.push(LoadedNode::Plain(b));
            }
            CONTAINER_PACKED => {
                let lp = if version_2 {
                    read_listpack(r)?
                } else {
                    read_ziplist(r)?
                };
                if !lp.is_empty() {
                    nodes.push(LoadedNode::Packed(lp));
                }
            }
            _ => return Err(RdbError::Corrupt),
        }
    }
    Ok(nodes)
}
