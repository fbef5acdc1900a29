//! Unix-domain stream sockets: the same futures as TCP, addressed by a filesystem path.

mod listener;
mod stream;

pub use listener::UnixListener;
pub use stream::{Unix, UnixStream};
