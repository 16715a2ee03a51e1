//! Side effects of changing a parameter on the running server: Redis's
//! "apply" functions. Plain values (timeouts, limits, flags) need none:
//! `Server::apply_all_config` copies them wherever they are read. The
//! effects here touch the outside world (sockets, process limits, the
//! working directory) and may fail, which makes CONFIG SET restore the old
//! values.
//!
//! Effects are identified by [`Effect`] so that several parameters sharing
//! one (all the `tls-*` ones) run it once per CONFIG SET, as in Redis.

use crate::log::{write_line, Level};
use crate::server::Server;

/// One apply step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `hz`: out-of-range values are brought within 1..=500.
    Hz,
    /// `port`: listen on the new port.
    Port,
    /// `bind`: listen on the new addresses.
    Bind,
    /// `maxclients`: raise the open files limit to fit.
    Maxclients,
    /// `oom-score-adj`, `oom-score-adj-values`: write the process's OOM score.
    OomScore,
    /// `maxmemory`: warn when already over the new limit and start
    /// evicting from the event loop.
    Maxmemory,
    /// `dir`: change the working directory.
    Dir,
    /// `locale-collate`: set the collation locale.
    LocaleCollate,
    /// `tls-port`: TLS listeners are not available in Lodestone.
    TlsPort,
    /// `tls-*`: TLS settings only take effect once TLS is in use.
    TlsConfig,
    /// `appendonly`: turn the AOF on (a rewrite writes its first base) or
    /// off.
    Appendonly,
    /// `aof-disable-auto-gc`: when turned off, delete history files now.
    AofAutoGc,
}

/// The apply step of a parameter, if it has one.
pub fn effect_of(name: &str) -> Option<Effect> {
    Some(match name {
        "hz" => Effect::Hz,
        "port" => Effect::Port,
        "bind" => Effect::Bind,
        "maxclients" => Effect::Maxclients,
        "oom-score-adj" | "oom-score-adj-values" => Effect::OomScore,
        "maxmemory" => Effect::Maxmemory,
        "dir" => Effect::Dir,
        "locale-collate" => Effect::LocaleCollate,
        "tls-port" => Effect::TlsPort,
        "appendonly" => Effect::Appendonly,
        "aof-disable-auto-gc" => Effect::AofAutoGc,
        n if n.starts_with("tls-") && n != "tls-auth-clients" => Effect::TlsConfig,
        _ => return None,
    })
}

const TLS_UNAVAILABLE: &str = "Unable to update TLS configuration. Check server logs.";

impl Server {
    /// Runs one apply step against the current configuration; the error is
    /// Redis's reason text.
    pub fn apply_effect(&mut self, effect: Effect) -> Result<(), String> {
        match effect {
            Effect::Hz => {
                if let Some(i) = self.config.lookup("hz") {
                    let hz = self.config.int("hz").clamp(1, 500);
                    self.config.replace(i, super::Val::Num(hz as i128));
                }
                Ok(())
            }
            Effect::Port => self
                .rebind()
                .map_err(|_| "Unable to listen on this port. Check server logs.".to_string()),
            Effect::Bind => self
                .rebind()
                .map_err(|_| "Failed to bind to specified addresses.".to_string()),
            Effect::Maxclients => {
                let wanted = self.config.int("maxclients").max(1) as u64;
                let possible = adjust_open_files_limit(wanted, &self.config);
                if possible != wanted {
                    return Err(format!(
                        "The operating system is not able to handle the specified number of clients, try with {}",
                        possible as u32 as i32
                    ));
                }
                Ok(())
            }
            Effect::OomScore => set_oom_score_adj(&self.config),
            Effect::Maxmemory => {
                let max = self.config.num("maxmemory") as u64;
                if max > 0 {
                    // A fresh reading, so the very next command is judged
                    // against the new limit with an exact figure.
                    let used = self.refresh_memory().used;
                    if max < used {
                        self.log_warning(&format!("WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."));
                    }
                    self.eviction.running = true;
                }
                Ok(())
            }
            Effect::Dir => std::env::set_current_dir(self.config.str("dir"))
                .map_err(|e| super::special::os_error_text(&e)),
            Effect::LocaleCollate => set_locale_collate(&self.config.str("locale-collate")),
            Effect::TlsPort => {
                if self.config.int("tls-port") != 0 {
                    return Err(TLS_UNAVAILABLE.into());
                }
                Ok(())
            }
            Effect::Appendonly => {
                self.aof.apply_config(&self.config);
                self.apply_appendonly()
            }
            Effect::AofAutoGc => {
                self.aof.apply_config(&self.config);
                self.delete_aof_history();
                Ok(())
            }
            Effect::TlsConfig => {
                let c = &self.config;
                if c.int("tls-port") != 0 || c.bool("tls-replication") || c.bool("tls-cluster") {
                    return Err(TLS_UNAVAILABLE.into());
                }
                Ok(())
            }
        }
    }

    /// Closes the listening sockets and opens them again for the configured
    /// `port` and `bind` (none when the port is 0 or no address is given).
    /// On failure no socket is left open; the caller restores the old
    /// configuration and rebinds again.
    fn rebind(&mut self) -> std::io::Result<()> {
        self.close_listeners();
        let port = self.config.int("port");
        if port == 0 || self.config.str("bind").is_empty() {
            self.port = port as u16;
            return Ok(());
        }
        let result = self.listen();
        match &result {
            Ok(()) => self.log_notice(&format!("Listening on port {}", self.port)),
            Err(e) => {
                self.log_warning(&format!("Could not change the listening sockets: {e}"));
                self.close_listeners();
            }
        }
        result
    }

    fn close_listeners(&mut self) {
        for mut l in std::mem::take(&mut self.listeners) {
            let _ = self.poll.registry().deregister(&mut l);
        }
    }
}

/// Startup side effects that belong to the process rather than the server:
/// the open files limit (lowering `maxclients` when it cannot be raised,
/// as Redis does), the OOM score and the collation locale (an invalid one
/// is fatal).
pub fn init_process(config: &mut super::Config) -> Result<(), String> {
    let wanted = config.int("maxclients").max(1) as u64;
    let possible = adjust_open_files_limit(wanted, config);
    if possible != wanted {
        if let Some(i) = config.lookup("maxclients") {
            config.replace(i, super::Val::Num(possible.max(1) as i128));
        }
    }
    if let Err(e) = set_oom_score_adj(config) {
        log(config, Level::Warning, &e);
    }
    set_locale_collate(&config.str("locale-collate"))
        .map_err(|_| "Failed to configure LOCALE for invalid locale name.".to_string())
}

fn log(config: &super::Config, level: Level, text: &str) {
    write_line(
        &config.str("logfile"),
        &config.enum_name("loglevel"),
        level,
        text,
    );
}

/// File descriptors kept for purposes other than clients (Redis's
/// CONFIG_MIN_RESERVED_FDS).
const RESERVED_FDS: u64 = 32;

/// Redis's `adjustOpenFilesLimit`: raises the open files limit to fit
/// `maxclients` clients, trying lower values when the system refuses.
/// Returns how many clients the resulting limit allows (`maxclients` when
/// it fits).
fn adjust_open_files_limit(maxclients: u64, config: &super::Config) -> u64 {
    let needed = maxclients + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the rlimit we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024 - RESERVED_FDS;
    }
    let old = limit.rlim_cur;
    if old >= needed {
        return maxclients;
    }
    let mut best = needed;
    let mut last_error = String::new();
    while best > old {
        let l = libc::rlimit {
            rlim_cur: best,
            rlim_max: best,
        };
        // SAFETY: setrlimit reads the rlimit we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &l) } == 0 {
            break;
        }
        last_error = super::special::os_error_text(&std::io::Error::last_os_error());
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    best = best.max(old);
    if best < needed {
        let possible = best.saturating_sub(RESERVED_FDS);
        log(config, Level::Warning, &format!("You requested maxclients of {maxclients} requiring at least {needed} max file descriptors."));
        log(config, Level::Warning, &format!("Server can't set maximum open files to {needed} because of OS error: {last_error}."));
        log(config, Level::Warning, &format!("Current maximum open files is {best}. maxclients has been reduced to {possible} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."));
        return possible;
    }
    log(
        config,
        Level::Notice,
        &format!(
            "Increased maximum number of open files to {needed} (it was originally set to {old})."
        ),
    );
    maxclients
}

/// The process's OOM score before Lodestone first changed it (Redis keeps
/// the same two statics), so turning `oom-score-adj` off restores it.
static OOM_STATE: std::sync::Mutex<Option<i32>> = std::sync::Mutex::new(None);

/// Redis's `setOOMScoreAdj` for the primary process class.
fn set_oom_score_adj(config: &super::Config) -> Result<(), String> {
    const PATH: &str = "/proc/self/oom_score_adj";
    let fail = |what: &str, e: std::io::Error| {
        log(
            config,
            Level::Warning,
            &format!(
                "Unable to {what} oom_score_adj: {}",
                super::special::os_error_text(&e)
            ),
        );
        "Failed to set current oom_score_adj. Check server logs.".to_string()
    };
    let mode = config.enum_name("oom-score-adj");
    let mut base = OOM_STATE.lock().unwrap_or_else(|p| p.into_inner());
    let value = if mode != "no" {
        let b = match *base {
            Some(b) => b,
            None => {
                let text = std::fs::read_to_string(PATH).map_err(|e| fail("read", e))?;
                let b = text.trim().parse().unwrap_or(0);
                *base = Some(b);
                b
            }
        };
        let values = config.str("oom-score-adj-values");
        let primary: i32 = values
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let v = if mode == "absolute" {
            primary
        } else {
            primary + b
        };
        v.clamp(-1000, 1000)
    } else if let Some(b) = base.take() {
        b
    } else {
        return Ok(());
    };
    std::fs::write(PATH, format!("{value}\n")).map_err(|e| fail("write", e))
}

/// `setlocale(LC_COLLATE, name)`; the empty name selects the environment's.
fn set_locale_collate(name: &str) -> Result<(), String> {
    let c_name = std::ffi::CString::new(name).map_err(|_| "Invalid locale name".to_string())?;
    // SAFETY: setlocale reads a NUL-terminated string; it runs on the
    // event-loop thread, the only one using locale-dependent functions.
    let r = unsafe { libc::setlocale(libc::LC_COLLATE, c_name.as_ptr()) };
    if r.is_null() {
        return Err("Invalid locale name".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_by_name() {
        assert_eq!(effect_of("port"), Some(Effect::Port));
        assert_eq!(effect_of("tls-ciphers"), Some(Effect::TlsConfig));
        assert_eq!(effect_of("tls-port"), Some(Effect::TlsPort));
        assert_eq!(effect_of("tls-auth-clients"), None);
        assert_eq!(effect_of("timeout"), None);
        assert!(set_locale_collate("no-such-locale-anywhere").is_err());
        assert!(set_locale_collate("").is_ok());
    }
}
