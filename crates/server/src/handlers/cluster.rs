//! Cluster commands on a server that does not run in cluster mode
//! (Lodestone has no cluster mode yet; `cluster-enabled yes` is refused at
//! startup). Redis answers every CLUSTER subcommand, ASKING, READONLY and
//! READWRITE with the same error when its cluster support is disabled, and
//! clients probe for cluster mode this way, so these commands exist with
//! that answer rather than as unknown commands.

use super::ServerHandler;
use crate::server::Server;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("cluster|addslots", cluster_disabled),
    ("cluster|addslotsrange", cluster_disabled),
    ("cluster|bumpepoch", cluster_disabled),
    ("cluster|count-failure-reports", cluster_disabled),
    ("cluster|countkeysinslot", cluster_disabled),
    ("cluster|delslots", cluster_disabled),
    ("cluster|delslotsrange", cluster_disabled),
    ("cluster|failover", cluster_disabled),
    ("cluster|flushslots", cluster_disabled),
    ("cluster|forget", cluster_disabled),
    ("cluster|getkeysinslot", cluster_disabled),
    ("cluster|help", cluster_disabled),
    ("cluster|info", cluster_disabled),
    ("cluster|keyslot", cluster_disabled),
    ("cluster|links", cluster_disabled),
    ("cluster|meet", cluster_disabled),
    ("cluster|myid", cluster_disabled),
    ("cluster|myshardid", cluster_disabled),
    ("cluster|nodes", cluster_disabled),
    ("cluster|replicas", cluster_disabled),
    ("cluster|replicate", cluster_disabled),
    ("cluster|reset", cluster_disabled),
    ("cluster|saveconfig", cluster_disabled),
    ("cluster|set-config-epoch", cluster_disabled),
    ("cluster|setslot", cluster_disabled),
    ("cluster|shards", cluster_disabled),
    ("cluster|slaves", cluster_disabled),
    ("cluster|slots", cluster_disabled),
    ("asking", cluster_disabled),
    ("readonly", cluster_disabled),
    ("readwrite", cluster_disabled),
];

/// Every command of the family: cluster support is disabled.
fn cluster_disabled(_s: &mut Server, _key: usize, _args: &[&[u8]]) -> CmdResult {
    Err(CmdError::ClusterDisabled)
}
