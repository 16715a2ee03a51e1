//! The server log, in Redis's format (`pid:M 25 Nov 2026 19:30:02.123 * text`,
//! `C` instead of `M` in a forked child) to standard output or `logfile`,
//! filtered by `loglevel`.
//!
//! Logging happens on rare events (startup, shutdown, errors, client
//! limits), never per command.

use crate::server::Server;
use std::io::Write;

/// Log levels, least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `debug`
    Debug,
    /// `verbose`
    Verbose,
    /// `notice`
    Notice,
    /// `warning`
    Warning,
}

impl Level {
    fn from_config(name: &str) -> Level {
        match name {
            "debug" => Level::Debug,
            "verbose" => Level::Verbose,
            "warning" => Level::Warning,
            "nothing" => Level::Warning,
            _ => Level::Notice,
        }
    }

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

/// Formats the local time as Redis does: `25 Nov 2026 19:30:02.123`.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the zeroed tm we own.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// Writes one log line for the given configuration values.
pub fn write_line(logfile: &str, loglevel: &str, level: Level, text: &str) {
    if loglevel == "nothing" || level < Level::from_config(loglevel) {
        return;
    }
    let role = if crate::persistence::bgsave::in_fork_child() {
        'C'
    } else {
        'M'
    };
    let line = format!(
        "{}:{role} {} {} {}\n",
        std::process::id(),
        timestamp(),
        level.mark(),
        text
    );
    if logfile.is_empty() {
        let _ = std::io::stdout().write_all(line.as_bytes());
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logfile)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

impl Server {
    /// Logs at a level.
    pub fn log(&self, level: Level, text: &str) {
        write_line(
            &self.config.str("logfile"),
            &self.config.enum_name("loglevel"),
            level,
            text,
        );
    }

    /// Logs a warning.
    pub fn log_warning(&self, text: &str) {
        self.log(Level::Warning, text);
    }

    /// Logs a notice.
    pub fn log_notice(&self, text: &str) {
        self.log(Level::Notice, text);
    }

    /// Logs a verbose message.
    pub fn log_verbose(&self, text: &str) {
        self.log(Level::Verbose, text);
    }
}
