//! The disk half of answering with a file, shared by the example's connection loop
//! (`conn.rs`) and its tokio port in the bench: it runs on a blocking pool, whichever
//! runtime owns that pool, so only the loop around it differs between the two.

use std::path::Path;

use super::files::{self, Opened, Refused, CHUNK};
use super::response::{self, Conn, FileRequest, Status};

/// The blocking half of serving a file: open it under the root, append the response head
/// to `out` and, for GET, the first chunk. Returns `out` either way, and the open file with
/// how many body bytes are still to be read.
pub fn open_and_read(
    root: &Path,
    request: &FileRequest,
    conn: Conn,
    mut out: Vec<u8>,
) -> (Vec<u8>, Result<(std::fs::File, u64), Refused>) {
    let with_body = request.with_body;
    let Opened {
        mut file,
        len,
        content_type,
    } = match files::open(root, &request.path, request.slash) {
        Ok(opened) => opened,
        Err(refused) => return (out, Err(refused)),
    };
    response::head(&mut out, Status::Ok, content_type, len, conn);
    if !with_body {
        return (out, Ok((file, 0)));
    }
    let first = len.min(CHUNK as u64) as usize;
    match files::read_chunk(&mut file, &mut out, first) {
        Ok(n) if n == first => (out, Ok((file, len - first as u64))),
        Ok(_) | Err(_) => {
            out.clear(); // drop the 200 head: an error response goes out instead
            (out, Err(Refused::Failed))
        }
    }
}
