//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Commands sent after MULTI are checked and queued by the dispatcher; a
//! queuing error makes EXEC answer EXECABORT. WATCHed keys live in the
//! shard's registry, which any write, expiry, FLUSH or SWAPDB marks; EXEC
//! then answers a null array and runs nothing.

use super::{reply, ServerHandler};
use crate::client::Multi;
use crate::server::Server;
use lodestone_commands::table::spec::flags as cmdflags;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

/// `MULTI`
fn multi(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    if c.multi.is_some() {
        return Err(CmdError::NestedMulti);
    }
    c.multi = Some(Multi::default());
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `DISCARD`
fn discard(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    if c.multi.take().is_none() {
        return Err(CmdError::DiscardWithoutMulti);
    }
    s.unwatch_all(key);
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `EXEC`
fn exec(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get_mut(key) else {
        return Ok(());
    };
    let Some(m) = c.multi.take() else {
        return Err(CmdError::ExecWithoutMulti);
    };
    let dirty = s.watch_dirty(key);
    s.unwatch_all(key);
    if m.aborted {
        return Err(CmdError::ExecAbort);
    }
    if dirty {
        reply(s, key, |r| r.null_array());
        return Ok(());
    }
    reply(s, key, |r| r.array(m.queued.len()));
    for q in &m.queued {
        let args: Vec<&[u8]> = q.args.iter().map(Vec::as_slice).collect();
        s.call(key, q.cmd, &args);
        if !s.clients.contains(key) {
            break;
        }
    }
    Ok(())
}

/// `WATCH key [key ...]`
fn watch(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    let Some(c) = s.clients.get(key) else {
        return Ok(());
    };
    if c.multi.is_some() {
        return Err(CmdError::WatchInMulti);
    }
    let (db, id) = (c.db, c.id);
    for k in &args[1..] {
        let already = s
            .clients
            .get(key)
            .is_some_and(|c| c.watched.iter().any(|(d, w)| *d == db && w == k));
        if already {
            continue;
        }
        s.engine.shard_for(k).watch(db, k, id);
        if let Some(c) = s.clients.get_mut(key) {
            c.watched.push((db, k.to_vec()));
        }
    }
    reply(s, key, |r| r.ok());
    Ok(())
}

/// `UNWATCH`
fn unwatch(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    s.unwatch_all(key);
    reply(s, key, |r| r.ok());
    Ok(())
}

impl Server {
    /// Forgets every WATCH of a client and its dirty mark.
    pub fn unwatch_all(&mut self, key: usize) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let watched = std::mem::take(&mut c.watched);
        let id = c.id;
        for (db, k) in &watched {
            self.engine
                .shard_for(k)
                .watch_registry()
                .unwatch(*db, k, id);
        }
        for ks in self.engine.shards_mut() {
            ks.watch_registry().clear_dirty(id);
        }
    }

    /// True when EXEC must fail because a watched key changed or expired.
    fn watch_dirty(&mut self, key: usize) -> bool {
        let Some(c) = self.clients.get(key) else {
            return false;
        };
        let id = c.id;
        let watched = c.watched.clone();
        self.engine
            .shards_mut()
            .iter_mut()
            .any(|ks| ks.watch_registry().is_dirty(id))
            || self
                .engine
                .shards()
                .iter()
                .any(|ks| ks.watched_key_expired(&watched, id))
    }

    /// True when the client's queued transaction contains a write (EXEC
    /// then waits during CLIENT PAUSE WRITE).
    pub fn multi_has_writes(&self, key: usize) -> bool {
        self.clients
            .get(key)
            .and_then(|c| c.multi.as_ref())
            .is_some_and(|m| {
                m.queued.iter().any(|q| {
                    self.table.get(q.cmd).flags & (cmdflags::WRITE | cmdflags::MAY_REPLICATE) != 0
                })
            })
    }
}
