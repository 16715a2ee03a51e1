//! Sending invalidation messages: to the tracking client itself (RESP3
//! push), to the client it redirects to (a push, or in RESP2 a Pub/Sub
//! message on `__redis__:invalidate` when that client is subscribed), or
//! nowhere (a RESP2 client without redirection cannot receive pushes).
//! A redirection to a client that is gone sets the broken-redirect flag
//! and tells a RESP3 client with a `tracking-redir-broken` push.

use crate::client::flags;
use crate::server::Server;
use lodestone_protocol::Reply;

/// The Pub/Sub channel RESP2 redirection targets subscribe to.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// What an invalidation message says.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    /// These keys changed (an array of their names).
    Keys(&'a [&'a [u8]]),
    /// Everything changed (a flush): a null, written in the protocol of
    /// the tracking client (2 or 3) even when redirected to a client using
    /// the other one, as Redis 7.2 does.
    All(u8),
}

impl Payload<'_> {
    fn write(self, r: &mut Reply) {
        match self {
            Payload::Keys(keys) => {
                r.array(keys.len());
                for k in keys {
                    r.bulk(k);
                }
            }
            Payload::All(resp) => r.raw(if resp > 2 { b"_\r\n" } else { b"$-1\r\n" }),
        }
    }
}

impl Server {
    /// Sends an invalidation meant for tracking client `key` where its
    /// settings say (Redis's `sendTrackingMessage`).
    pub(crate) fn send_invalidation(&mut self, key: usize, payload: Payload<'_>) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let redirect = c.tracking_redirect;
        let mut receiver = key;
        if redirect != 0 {
            match self.client_keys.get(&redirect) {
                Some(&r) => receiver = r,
                None => {
                    c.flags |= flags::TRACKING_BROKEN_REDIR;
                    if c.connection_resp() > 2 {
                        self.write_push(key, |r| {
                            r.push(2);
                            r.bulk(b"tracking-redir-broken");
                            r.int(redirect as i64);
                        });
                    }
                    return;
                }
            }
        }
        let Some(rc) = self.clients.get(receiver) else {
            return;
        };
        if rc.connection_resp() > 2 {
            self.write_push(receiver, |r| {
                r.push(2);
                r.bulk(b"invalidate");
                payload.write(r);
            });
        } else if redirect != 0 && rc.subscription_count() > 0 {
            self.write_push(receiver, |r| {
                r.array(3);
                r.bulk(b"message");
                r.bulk(CHANNEL);
                payload.write(r);
            });
        }
    }
}
