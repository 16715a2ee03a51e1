//! The event loop: accept, read, run, write, tick.
//!
//! One iteration waits for readiness (at most until the next tick), reads
//! every readable client and runs the complete commands it sent, then
//! writes every client that has output (one write per client per
//! iteration, however many commands it pipelined; BCAST invalidations
//! collected during the iteration go out just before), then runs the periodic
//! work (`cron`) when due. Sockets are edge-triggered: a read that fills
//! less than the buffer means the socket is drained.

use crate::client::{flags, Client};
use crate::server::{unix_ms, Server};
use lodestone_storage::expire::CycleKind;
use mio::event::Event;
use mio::net::TcpListener;
use mio::{Events, Interest, Token};
use std::io::{self, ErrorKind, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Tokens at or above this value are listeners and signals; below are clients.
const LISTENER_BASE: usize = usize::MAX / 2;
/// Token of the signal pipe.
const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
/// Bytes read per `read` call at least (Redis's PROTO_IOBUF_LEN).
const READ_CHUNK: usize = 16 * 1024;
/// Largest single read for a big argument in progress.
const READ_CHUNK_MAX: usize = 1024 * 1024;
/// Most bytes written to one client per iteration, so one huge reply does
/// not starve the others (Redis's NET_MAX_WRITES_PER_EVENT).
const WRITE_MAX_PER_EVENT: usize = 64 * 1024 * 1024;

impl Server {
    /// Binds the configured addresses and port.
    pub fn listen(&mut self) -> io::Result<()> {
        let port = self.config.int("port") as u16;
        let bind = self.config.str("bind");
        let backlog = self.config.int("tcp-backlog").clamp(1, i32::MAX as i64) as i32;
        let mut addrs: Vec<(String, bool)> = Vec::new();
        for word in bind.split_whitespace() {
            // A leading '-' marks an optional address: failing to bind it is not fatal.
            let (addr, optional) = match word.strip_prefix('-') {
                Some(a) => (a.to_string(), true),
                None => (word.to_string(), false),
            };
            let addr = match addr.as_str() {
                "*" => "0.0.0.0".to_string(),
                "::*" => "::".to_string(),
                _ => addr,
            };
            addrs.push((addr, optional));
        }
        if addrs.is_empty() {
            addrs.push(("0.0.0.0".to_string(), false));
        }
        let mut bound_port = port;
        for (addr, optional) in addrs {
            let ip: std::net::IpAddr = match addr.parse() {
                Ok(ip) => ip,
                Err(_) if optional => continue,
                Err(e) => {
                    return Err(io::Error::new(
                        ErrorKind::InvalidInput,
                        format!("{addr}: {e}"),
                    ))
                }
            };
            match bind_listener(SocketAddr::new(ip, bound_port), backlog) {
                Ok(listener) => {
                    bound_port = listener.local_addr()?.port();
                    self.listeners.push(listener);
                }
                Err(_) if optional => continue,
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "Could not create server TCP listening socket {addr}:{bound_port}: {e}"
                        ),
                    ))
                }
            }
        }
        self.port = bound_port;
        for (i, l) in self.listeners.iter_mut().enumerate() {
            self.poll
                .registry()
                .register(l, Token(LISTENER_BASE + i), Interest::READABLE)?;
        }
        Ok(())
    }

    /// Runs the event loop until SHUTDOWN or a termination signal.
    pub fn run(&mut self) -> io::Result<()> {
        self.register_signals()?;
        let mut events = Events::with_capacity(1024);
        let mut next_tick_ms = unix_ms();
        self.stats.startup_memory = self.refresh_memory().used;
        loop {
            let now = unix_ms();
            let wake_at = self
                .next_block_deadline()
                .map_or(next_tick_ms, |d| d.min(next_tick_ms));
            let wait = (wake_at - now).clamp(0, 1000) as u64;
            let wait = if self.to_resume.is_empty() && !self.eviction.running {
                Duration::from_millis(wait)
            } else {
                Duration::ZERO
            };
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() != ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            self.clock = crate::server::ClockBase::now();
            self.now_ms = self.clock.unix_ms;
            let cycle_start = std::time::Instant::now();
            let commands_before = self.stats.total_commands_processed;
            for event in events.iter() {
                match event.token() {
                    SIGNAL_TOKEN => self.take_signals(),
                    Token(t) if t >= LISTENER_BASE => self.accept(t - LISTENER_BASE),
                    Token(key) => self.client_event(key, event),
                }
            }
            for key in std::mem::take(&mut self.to_reread) {
                if self.clients.contains(key) {
                    self.read_from_client(key, true);
                    self.process_input(key);
                }
            }
            self.resume_clients();
            self.eviction_proc();
            self.tracking_changes_outside_command(None);
            if self.now_ms >= next_tick_ms {
                let cron_start = std::time::Instant::now();
                self.cron();
                self.stats.eventloop.cron_sum_us += cron_start.elapsed().as_micros() as u64;
                next_tick_ms = self.now_ms + 1000 / self.rt.hz as i64;
            }
            self.before_sleep();
            // Saturating: CONFIG RESETSTAT may have zeroed the counter.
            let commands = self
                .stats
                .total_commands_processed
                .saturating_sub(commands_before);
            self.stats
                .eventloop
                .record_cycle(cycle_start.elapsed().as_micros() as u64, commands);
            if self.signal_shutdown {
                self.signal_shutdown = false;
                self.exit_now =
                    self.finish_for_shutdown(crate::handlers::shutdown::ShutdownFlags::default());
            }
            if self.exit_now {
                return Ok(());
            }
        }
    }

    /// Routes SIGTERM and SIGINT to the poller (once): from then on they
    /// schedule a shutdown instead of killing the process, also while a
    /// data set loads at startup.
    pub fn register_signals(&mut self) -> io::Result<()> {
        if self.signals.is_some() {
            return Ok(());
        }
        let mut signals = signal_hook_mio::v1_0::Signals::new([
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
        ])?;
        self.poll
            .registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        self.signals = Some(signals);
        Ok(())
    }

    /// Serves other clients while a busy script holds the keyspace thread
    /// (Redis's `processEventsWhileBlocked`): accepts connections, reads
    /// and runs commands (most are refused with BUSY by `run_command`) and
    /// writes replies. The client running the script (or the DEBUG RELOAD
    /// whose load is in progress; none for the load at startup, see
    /// `loading.rs`) is left alone; its socket is read again after it ends.
    ///
    /// With `sweep`, every listener and every other client's socket is
    /// also read: readiness the main loop had already taken from the
    /// poller (the same batch as the script's command) would otherwise
    /// wait for the script to end.
    pub fn process_events_while_blocked(&mut self, running: Option<usize>, sweep: bool) {
        let mut events = Events::with_capacity(256);
        if self.poll.poll(&mut events, Some(Duration::ZERO)).is_err() {
            return;
        }
        for event in events.iter() {
            match event.token() {
                // Noted now (the readiness event does not come again);
                // the shutdown runs once the script is over.
                SIGNAL_TOKEN => self.take_signals(),
                Token(t) if t >= LISTENER_BASE => self.accept(t - LISTENER_BASE),
                Token(key) if Some(key) == running => self.to_reread.push(key),
                Token(key) => self.client_event(key, event),
            }
        }
        if sweep {
            // The outer batch may also have held a connection or a signal.
            for l in 0..self.listeners.len() {
                self.accept(l);
            }
            self.take_signals();
            let keys: Vec<usize> = self.clients.iter().map(|(k, _)| k).collect();
            for key in keys.into_iter().filter(|&k| Some(k) != running) {
                if self.clients.contains(key) {
                    self.read_from_client(key, true);
                    self.process_input(key);
                }
            }
        }
        if self.aof_active() {
            self.flush_aof(false);
        }
        self.flush_pending_writes(running);
        let closing = std::mem::take(&mut self.to_close);
        for key in closing {
            if Some(key) == running {
                self.to_close.push(key);
            } else {
                self.close_client(key);
            }
        }
    }

    /// Drains pending termination signals: the first schedules a shutdown
    /// for the end of this event-loop iteration (after a busy script);
    /// a SIGINT while one is already scheduled exits at once, as Redis
    /// does when the user insists.
    fn take_signals(&mut self) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        let received: Vec<i32> = signals.pending().collect();
        for sig in received {
            let name = if sig == signal_hook::consts::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            if self.signal_shutdown && sig == signal_hook::consts::SIGINT {
                self.log_warning("You insist... exiting now.");
                std::process::exit(1);
            }
            if self.loading.is_some() {
                self.log_warning("Received shutdown signal during loading, scheduling shutdown.");
            } else {
                self.log_warning(&format!("Received {name} scheduling shutdown..."));
            }
            self.signal_shutdown = true;
        }
    }

    /// Writes the output of every client scheduled for writing, except
    /// `keep` (the client running a busy script), which stays scheduled.
    fn flush_pending_writes(&mut self, keep: Option<usize>) {
        let pending = std::mem::take(&mut self.pending_writes);
        for key in pending {
            if Some(key) == keep {
                self.pending_writes.push(key);
                continue;
            }
            if let Some(c) = self.clients.get_mut(key) {
                c.pending_write = false;
            }
            self.write_to_client(key);
            self.enforce_output_limits(key);
        }
    }

    fn accept(&mut self, listener: usize) {
        loop {
            // CONFIG SET port/bind may have replaced the listeners since
            // this readiness event was collected.
            let Some(l) = self.listeners.get(listener) else {
                return;
            };
            let (stream, peer) = match l.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log_warning(&format!("Accepting client connection: {e}"));
                    return;
                }
            };
            self.stats.total_connections_received += 1;
            let laddr = stream
                .local_addr()
                .map(|a| format_addr(&a))
                .unwrap_or_default();
            if self.clients.len() >= self.rt.maxclients {
                self.stats.rejected_connections += 1;
                let mut s = stream;
                let _ = s.write(b"-ERR max number of clients reached\r\n");
                continue;
            }
            let _ = stream.set_nodelay(true);
            set_keepalive(&stream, self.rt.tcp_keepalive);
            let id = self.next_client_id;
            self.next_client_id += 1;
            let mut stream = stream;
            let entry = self.clients.vacant_entry();
            let key = entry.key();
            if self
                .poll
                .registry()
                .register(
                    &mut stream,
                    Token(key),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                continue;
            }
            let mut client = Client::new(id, stream, format_addr(&peer), laddr, self.now_ms);
            client.authenticated = self.rt.requirepass.is_none();
            entry.insert(client);
            self.client_keys.insert(id, key);
        }
    }

    fn client_event(&mut self, key: usize, event: &Event) {
        if !self.clients.contains(key) {
            return;
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            // A peer that sent its last request and closed at once has its
            // data and its FIN behind one edge: read on to the end then.
            self.read_from_client(key, event.is_read_closed() || event.is_error());
            self.process_input(key);
        }
        // Replies to writes wait for the AOF buffer to be written first
        // (`before_sleep`); the client stays scheduled for writing.
        if event.is_writable() && self.aof.buffered() == 0 {
            self.write_to_client(key);
        }
    }

    /// Reads everything available from a client's socket. Sockets are
    /// edge-triggered, and a read that fills less than asked normally
    /// means the socket is drained, which saves a read per request; with
    /// `to_the_end` (the peer closed its side, or the readiness that woke
    /// us is unknown) reading goes on until the socket would block or
    /// reports the end, since no later edge would announce a FIN that
    /// arrived with the data.
    fn read_from_client(&mut self, key: usize, to_the_end: bool) {
        self.stats.total_reads_processed += 1;
        let limit = self.rt.query_buffer_limit;
        let mut closed = false;
        let mut total = 0usize;
        {
            let Some(c) = self.clients.get_mut(key) else {
                return;
            };
            if c.has(flags::CLOSE_ASAP | flags::PROTOCOL_ERROR) {
                return;
            }
            loop {
                let missing = c.input.parser.bulk_bytes_missing(c.input.buf.len());
                // Grow with the data, never to a length the client only claims.
                let want = READ_CHUNK.max(
                    missing
                        .min(READ_CHUNK_MAX)
                        .min(c.input.buf.len().max(READ_CHUNK)),
                );
                let Some(stream) = c.stream.as_ref() else {
                    break;
                };
                match read_into_spare(stream, &mut c.input.buf, want) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => {
                        total += n;
                        if n < want && !to_the_end {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
                if c.input.buf.len() > limit {
                    break;
                }
            }
            if total > 0 {
                c.last_interaction_ms = self.now_ms;
                c.input_peak = c.input_peak.max(c.input.buf.len());
            }
        }
        self.stats.total_net_input_bytes += total as u64;
        let over = self
            .clients
            .get(key)
            .is_some_and(|c| c.input.buf.len() > limit);
        if over {
            self.stats.client_query_buffer_limit_disconnections += 1;
            self.log_warning("Closing client that reached max query buffer length");
            self.close_client(key);
            return;
        }
        if closed {
            // Run what was received before the peer closed, then drop it.
            self.process_input(key);
            self.close_client(key);
        }
    }

    /// Writes as much pending output as the socket takes.
    pub fn write_to_client(&mut self, key: usize) {
        let mut written = 0usize;
        let mut failed = false;
        {
            let Some(c) = self.clients.get_mut(key) else {
                return;
            };
            let Some(stream) = c.stream.as_mut() else {
                // The fake client of AOF loading: replies are discarded.
                c.out.clear();
                c.out_sent = 0;
                return;
            };
            if c.out_sent < c.out.len() {
                self.stats.total_writes_processed += 1;
            }
            while c.out_sent < c.out.len() && written < WRITE_MAX_PER_EVENT {
                match stream.write(&c.out[c.out_sent..]) {
                    Ok(0) => {
                        failed = true;
                        break;
                    }
                    Ok(n) => {
                        c.out_sent += n;
                        written += n;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            if c.out_sent == c.out.len() {
                c.out.clear();
                c.out_sent = 0;
                // Give back memory held for a big reply once it is sent.
                if c.out.capacity() > 64 * 1024 {
                    c.out.shrink_to(16 * 1024);
                }
            } else if c.out_sent > 1024 * 1024 && c.out_sent * 2 > c.out.len() {
                c.out.drain(..c.out_sent);
                c.out_sent = 0;
            }
        }
        self.stats.total_net_output_bytes += written as u64;
        if failed {
            self.close_client(key);
            return;
        }
        let done = self
            .clients
            .get(key)
            .is_some_and(|c| c.pending_output() == 0);
        if done
            && self
                .clients
                .get(key)
                .is_some_and(|c| c.has(flags::CLOSE_AFTER_REPLY))
        {
            self.close_client(key);
        }
    }

    /// Propagates the keys an active expiry cycle deleted, each DEL a unit
    /// of its own (never wrapped in MULTI/EXEC), as Redis does.
    fn propagate_active_expiry(&mut self) {
        if !self.effects.active() {
            return;
        }
        self.record_expiry_deletions(true);
        self.feed_replicas();
    }

    /// Work done after handling events and before waiting again.
    fn before_sleep(&mut self) {
        self.expire_blocked_clients();
        self.process_clients_waiting_acks();
        self.resume_clients();
        if self.active_expire {
            let now = unix_ms();
            let hz = self.rt.hz;
            let started = Instant::now();
            for ks in self.engine.shards_mut() {
                ks.active_expire_cycle(CycleKind::Fast, now, hz);
            }
            self.latency_sample("expire-cycle", started);
            self.propagate_active_expiry();
            self.tracking_changes_outside_command(None);
            self.publish_keyspace_notifications();
        }
        self.tracking_broadcast();
        // The AOF is written before any reply leaves (and, with
        // `appendfsync always`, is on disk).
        if self.aof_active() {
            self.flush_aof(false);
        }
        // What that fsync covered can answer WAITAOF clients now rather
        // than at the next iteration.
        self.update_fsynced_reploff();
        self.process_clients_waiting_acks();
        self.send_getack_to_replicas();
        self.flush_pending_writes(None);
        let closing = std::mem::take(&mut self.to_close);
        for key in closing {
            self.close_client(key);
        }
    }

    /// Closes clients whose output buffer is over the configured limits.
    pub fn enforce_output_limits(&mut self, key: usize) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let class = if c.subscription_count() > 0 { 2 } else { 0 };
        let limit = self.rt.output_limits[class];
        let used = c.pending_output() as u64;
        let hard = limit.hard_bytes > 0 && used >= limit.hard_bytes;
        let mut soft = false;
        if limit.soft_bytes > 0 && used >= limit.soft_bytes {
            let since = *c.soft_limit_since.get_or_insert(self.now_ms);
            soft = self.now_ms - since >= limit.soft_seconds as i64 * 1000;
        } else {
            c.soft_limit_since = None;
        }
        if hard || soft {
            self.stats.client_output_buffer_limit_disconnections += 1;
            self.log_warning(
                "Client scheduled to be closed ASAP for overcoming of output buffer limits.",
            );
            self.close_soon(key);
        }
    }

    /// Closes a client now and forgets everything about it.
    pub fn close_client(&mut self, key: usize) {
        if !self.clients.contains(key) {
            return;
        }
        self.unblock_client(key);
        self.unwatch_all(key);
        self.pubsub_forget_client(key);
        self.disable_tracking(key);
        self.monitors.retain(|&m| m != key);
        self.replicas.retain(|&r| r != key);
        let mut c = self.clients.remove(key);
        self.client_keys.remove(&c.id);
        if let Some(stream) = c.stream.as_mut() {
            let _ = self.poll.registry().deregister(stream);
        }
    }

    /// Periodic work, `hz` times per second.
    fn cron(&mut self) {
        if self.pause_cron {
            return;
        }
        self.cron_loops += 1;
        self.persistence_cron();
        let now = self.now_ms;
        self.stats
            .ops_rate
            .sample(now, self.stats.total_commands_processed);
        self.stats
            .input_rate
            .sample(now, self.stats.total_net_input_bytes);
        self.stats
            .output_rate
            .sample(now, self.stats.total_net_output_bytes);
        self.stats.eventloop.sample(now);
        if self.active_expire {
            let hz = self.rt.hz;
            let started = Instant::now();
            for ks in self.engine.shards_mut() {
                ks.active_expire_cycle(CycleKind::Slow, now, hz);
            }
            self.latency_sample("expire-cycle", started);
            self.propagate_active_expiry();
            self.tracking_changes_outside_command(None);
        }
        if self.tracking.clients > 0 {
            // Also here: a CONFIG SET may have lowered the limit while
            // no command follows.
            self.tracking_limit(None);
        }
        // Children end in several ways (reaped, killed by FLUSHALL or
        // CONFIG SET appendonly no); the sharing state follows them here.
        let child = self.has_active_child();
        self.engine.set_fork_child_active(child);
        // Not while a fork child shares the tables' memory (Redis's
        // `databasesCron`): moving buckets would copy their pages.
        if self.rt.active_rehashing && !child {
            for ks in self.engine.shards_mut() {
                ks.rehash_for(1);
            }
        }
        self.publish_keyspace_notifications();
        self.clients_cron();
        if let Some(p) = self.pause {
            if now >= p.until_ms {
                self.unpause();
            }
        }
        self.refresh_memory();
    }

    /// Closes idle clients (`timeout`) and trims oversized input buffers.
    fn clients_cron(&mut self) {
        let now = self.now_ms;
        let timeout_ms = self.rt.timeout_secs * 1000;
        let mut idle = Vec::new();
        for (key, c) in self.clients.iter_mut() {
            let exempt = c.subscription_count() > 0 || c.has(flags::BLOCKED | flags::MONITOR);
            if timeout_ms > 0 && !exempt && now - c.last_interaction_ms > timeout_ms {
                idle.push(key);
            }
            resize_query_buffer(c, now);
        }
        for key in idle {
            self.close_client(key);
        }
    }
}

/// Gives back query-buffer memory the client no longer needs, as Redis's
/// `clientsCronResizeQueryBuffer`: an idle client's empty buffer is freed
/// after two seconds; a buffer more than twice its recent peak (and over
/// 32 KB) is trimmed to that peak. The peak then restarts from the current
/// length.
fn resize_query_buffer(c: &mut Client, now_ms: i64) {
    const RESIZE_THRESHOLD: usize = 32 * 1024;
    let buf = &mut c.input.buf;
    let spare = buf.capacity() - buf.len();
    if spare > 4 * 1024 {
        let idle_secs = (now_ms - c.last_interaction_ms) / 1000;
        if idle_secs > 2 {
            if buf.is_empty() {
                *buf = Vec::new();
            } else {
                buf.shrink_to_fit();
            }
        } else if buf.capacity() > RESIZE_THRESHOLD && buf.capacity() / 2 > c.input_peak {
            let pending = c.input.parser.bulk_bytes_missing(buf.len());
            buf.shrink_to(buf.len().max(c.input_peak).max(buf.len() + pending));
        }
    }
    c.input_peak = buf.len();
}

fn bind_listener(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    use std::os::fd::FromRawFd;
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket(2)/setsockopt(2)/bind(2)/listen(2) calls on a
    // descriptor we own; the address structs are fully initialized.
    unsafe {
        let fd = libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let std_listener = std::net::TcpListener::from_raw_fd(fd);
        let one: libc::c_int = 1;
        let optlen = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as *const libc::c_void,
            optlen,
        );
        if addr.is_ipv6() {
            libc::setsockopt(
                fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &one as *const _ as *const libc::c_void,
                optlen,
            );
        }
        let rc = match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                libc::bind(
                    fd,
                    &sin as *const _ as *const libc::sockaddr,
                    std::mem::size_of_val(&sin) as libc::socklen_t,
                )
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: 0,
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: 0,
                };
                libc::bind(
                    fd,
                    &sin6 as *const _ as *const libc::sockaddr,
                    std::mem::size_of_val(&sin6) as libc::socklen_t,
                )
            }
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::listen(fd, backlog) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(TcpListener::from_std(std_listener))
    }
}

/// Reads up to `want` bytes into the spare capacity of `buf` (no zero
/// filling, so a 16 KB read buffer costs nothing when 30 bytes arrive).
fn read_into_spare(
    stream: &mio::net::TcpStream,
    buf: &mut Vec<u8>,
    want: usize,
) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    buf.reserve(want);
    let spare = buf.spare_capacity_mut();
    let len = want.min(spare.len());
    // SAFETY: read(2) writes at most `len` bytes into the spare capacity,
    // which is valid writable memory; exactly `n` of them are initialized.
    let n = unsafe {
        libc::read(
            stream.as_raw_fd(),
            spare.as_mut_ptr() as *mut libc::c_void,
            len,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the first `n` spare bytes were just initialized by read(2).
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

fn set_keepalive(stream: &mio::net::TcpStream, secs: u32) {
    use std::os::fd::AsRawFd;
    if secs == 0 {
        return;
    }
    let fd = stream.as_raw_fd();
    let one: libc::c_int = 1;
    let idle = secs as libc::c_int;
    let interval = (secs / 3).max(1) as libc::c_int;
    let count: libc::c_int = 3;
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt on a valid socket with correctly sized int options.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &one as *const _ as *const libc::c_void,
            len,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as *const libc::c_void,
            len,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &interval as *const _ as *const libc::c_void,
            len,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &count as *const _ as *const libc::c_void,
            len,
        );
    }
}

/// `ip:port` as Redis prints addresses (IPv6 without brackets).
pub fn format_addr(a: &SocketAddr) -> String {
    format!("{}:{}", a.ip(), a.port())
}
