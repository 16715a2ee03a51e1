//! CONFIG SET as one transaction, following Redis's `configSetCommand`:
//! every name is checked first (unknown, immutable, protected, given twice),
//! then every value is parsed, then all are stored at once and their apply
//! steps run; when a step fails the old values come back (and their steps
//! run again) so the command changes nothing.

use super::apply::{effect_of, Effect};
use super::registry::{IMMUTABLE, PROTECTED, VOLATILE};
use super::Val;
use crate::server::Server;
use lodestone_commands::CmdError;

impl Server {
    /// Sets `(name, value)` pairs for the client with slab key `key` (whose
    /// address decides `enable-protected-configs local`).
    pub fn config_set(&mut self, key: usize, pairs: &[(&[u8], &[u8])]) -> Result<(), CmdError> {
        let mut targets: Vec<(usize, &'static str, String)> = Vec::with_capacity(pairs.len());
        for (name, raw) in pairs {
            let name = String::from_utf8_lossy(name);
            let Some(i) = self.config.lookup(&name) else {
                return Err(CmdError::ConfigSetUnknown(name.into_owned()));
            };
            let def = self.config.def(i);
            // The name as registered: aliases are separate entries in Redis,
            // so `x` and its alias in one command are not duplicates.
            let registered = if def.alias.eq_ignore_ascii_case(&name) {
                def.alias
            } else {
                def.name
            };
            let refuse = |reason: &str| CmdError::ConfigSetFailed {
                arg: name.to_string(),
                reason: reason.to_string(),
            };
            if def.has(IMMUTABLE) {
                return Err(refuse("can't set immutable config"));
            }
            if def.has(PROTECTED) && !self.protected_allowed(key) {
                return Err(refuse("can't set protected config"));
            }
            if targets.iter().any(|(_, r, _)| *r == registered) {
                return Err(refuse("duplicate parameter"));
            }
            targets.push((i, registered, String::from_utf8_lossy(raw).into_owned()));
        }
        let mut new_values = Vec::with_capacity(targets.len());
        for (i, registered, raw) in &targets {
            let v = self
                .config
                .parse_set(*i, raw)
                .map_err(|reason| CmdError::ConfigSetFailed {
                    arg: registered.to_string(),
                    reason,
                })?;
            new_values.push(v);
        }
        // Store everything, remembering what to undo and which apply steps
        // to run (each once, named after the first parameter needing it).
        let mut old_values = Vec::with_capacity(targets.len());
        let mut effects: Vec<(Effect, &'static str)> = Vec::new();
        for ((i, registered, _), v) in targets.iter().zip(new_values) {
            let def = self.config.def(*i);
            let changed = *self.config.value(*i) != v
                || def.has(VOLATILE)
                || (matches!(v, Val::Special(_)) && def.name != "oom-score-adj-values");
            old_values.push((*i, self.config.replace(*i, v)));
            if let (true, Some(e)) = (changed, effect_of(def.name)) {
                if !effects.iter().any(|(x, _)| *x == e) {
                    effects.push((e, registered));
                }
            }
        }
        for &(effect, name) in &effects {
            if let Err(reason) = self.apply_effect(effect) {
                self.log_warning(&format!("Failed applying new configuration. Possibly related to new {name} setting. Restoring previous settings."));
                for (i, old) in old_values.drain(..) {
                    self.config.replace(i, old);
                }
                for &(e, _) in &effects {
                    if let Err(again) = self.apply_effect(e) {
                        self.log_warning(&format!(
                            "Failed applying restored failed CONFIG SET command: {again}"
                        ));
                    }
                }
                self.apply_all_config();
                return Err(CmdError::ConfigSetFailed {
                    arg: name.to_string(),
                    reason,
                });
            }
        }
        self.apply_all_config();
        Ok(())
    }

    /// `enable-protected-configs`: `yes`, or `local` for a client connected
    /// over the loopback interface or a Unix socket.
    fn protected_allowed(&self, key: usize) -> bool {
        match self.config.enum_name("enable-protected-configs").as_str() {
            "yes" => true,
            "local" => self.clients.get(key).is_some_and(|c| {
                if c.has(crate::client::flags::UNIX_SOCKET) {
                    return true;
                }
                let ip = c
                    .addr
                    .rsplit_once(':')
                    .map_or(c.addr.as_str(), |(ip, _)| ip);
                ip.starts_with("127.") || ip == "::1"
            }),
            _ => false,
        }
    }
}
