//! A small TCP proxy on 127.0.0.1 for fault tests: it forwards every
//! connection to an upstream address (a private MariaDB's TCP port) and can
//! cut all open connections at once, or refuse new ones for a while (it
//! accepts them and closes them at once, like a server that is going away).
//!
//! ```ignore
//! let proxy = support::proxy::Proxy::start(db.tcp_addr());
//! // connect clients to 127.0.0.1:proxy.port()
//! proxy.cut_all();          // every open connection is reset, both sides
//! proxy.set_refusing(true); // new connections are closed at once
//! // the server's reply to the next request that contains the text is
//! // dropped and its connection cut (the request ran; its client never
//! // hears so), and, with `true`, new connections are refused from then on
//! proxy.cut_the_reply_to("ALTER TABLE", true);
//! ```
//!
//! Plain std threads: one accepting, two per connection copying bytes.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A running proxy; stopped (and every connection cut) when dropped.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    upstream: SocketAddr,
    stop: AtomicBool,
    refusing: AtomicBool,
    /// Both ends of every open connection, by connection number.
    open: Mutex<Vec<(u64, TcpStream, TcpStream)>>,
    accepted: AtomicU64,
    refused: AtomicU64,
    cut: AtomicU64,
    /// See [`Proxy::cut_the_reply_to`]: the text, and whether to refuse
    /// new connections once the reply was cut.
    reply_cut: Mutex<Option<(Vec<u8>, bool)>>,
    replies_cut: AtomicU64,
}

impl Proxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the proxy's port");
        let port = listener.local_addr().expect("the proxy's address").port();
        let shared = Arc::new(Shared {
            upstream,
            stop: AtomicBool::new(false),
            refusing: AtomicBool::new(false),
            open: Mutex::new(vec![]),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            cut: AtomicU64::new(0),
            reply_cut: Mutex::new(None),
            replies_cut: AtomicU64::new(0),
        });
        let s = shared.clone();
        let acceptor = std::thread::spawn(move || accept_loop(listener, s));
        Proxy {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The port clients connect to (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts every open connection (both the client's and the server's side
    /// are shut down); returns how many there were.
    pub fn cut_all(&self) -> usize {
        let conns = std::mem::take(&mut *self.shared.open.lock().unwrap());
        for (_, client, server) in &conns {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
        self.shared
            .cut
            .fetch_add(conns.len() as u64, Ordering::SeqCst);
        conns.len()
    }

    /// While `true`, new connections are accepted and closed at once.
    pub fn set_refusing(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
    }

    /// Connections forwarded so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections closed at once while refusing.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Connections cut by [`Proxy::cut_all`].
    pub fn cut(&self) -> u64 {
        self.shared.cut.load(Ordering::SeqCst)
    }

    /// Once: the next request (client to server bytes) that contains
    /// `text` reaches the server, and the server's reply to it is dropped
    /// and that connection cut on both sides: what ran on the server, its
    /// client never hears about. With `refuse`, new connections are refused
    /// from that moment on (until [`Proxy::set_refusing`]`(false)`).
    pub fn cut_the_reply_to(&self, text: &str, refuse: bool) {
        *self.shared.reply_cut.lock().unwrap() = Some((text.as_bytes().to_vec(), refuse));
    }

    /// Replies dropped by [`Proxy::cut_the_reply_to`].
    pub fn replies_cut(&self) -> u64 {
        self.shared.replies_cut.load(Ordering::SeqCst)
    }

    /// Connections open right now.
    pub fn open(&self) -> usize {
        self.shared.open.lock().unwrap().len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor up.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        self.cut_all();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut next_id = 0u64;
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if shared.refusing.load(Ordering::SeqCst) {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.upstream) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
            client.try_clone(),
            server.try_clone(),
            client.try_clone(),
            server.try_clone(),
        ) else {
            continue;
        };
        shared.open.lock().unwrap().push((id, c3, s3));
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        // Set by the request whose reply is to be cut.
        let armed = Arc::new(AtomicBool::new(false));
        let (s, a) = (shared.clone(), armed.clone());
        std::thread::spawn(move || {
            pump(client, server, |request| {
                let mut trigger = s.reply_cut.lock().unwrap();
                let hit = trigger.as_ref().is_some_and(|(text, _)| {
                    request.windows(text.len()).any(|w| w == text.as_slice())
                });
                if hit {
                    let (_, refuse) = trigger.take().expect("checked");
                    if refuse {
                        s.refusing.store(true, Ordering::SeqCst);
                    }
                    a.store(true, Ordering::SeqCst);
                }
                true
            });
            forget(&s, id);
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            pump(s2, c2, |_| {
                let cut = armed.load(Ordering::SeqCst);
                if cut {
                    s.replies_cut.fetch_add(1, Ordering::SeqCst);
                }
                !cut
            });
            forget(&s, id);
        });
    }
}

/// Copies bytes from `from` to `to` until either side ends, or `forward`
/// says no to what was read, then shuts both down (so the other direction
/// ends too).
fn pump(mut from: TcpStream, mut to: TcpStream, mut forward: impl FnMut(&[u8]) -> bool) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if !forward(&buf[..n]) || to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

fn forget(shared: &Shared, id: u64) {
    shared.open.lock().unwrap().retain(|(i, _, _)| *i != id);
}
