//! `AsyncReadExt` and `AsyncWriteExt`: the methods application code awaits.

use std::io::IoSlice;

use super::adapters::{Chain, Take};
use super::read::{Read, ReadBuf, ReadExact, ReadInt, ReadToEnd, ReadToString};
use super::write::{Close, Flush, Write, WriteAll, WriteInt, WriteVectored};
use super::{AsyncRead, AsyncWrite};

/// `AsyncReadExt` methods reading one integer of `$ty` with `$decode` (`from_be_bytes` or
/// `from_le_bytes`).
macro_rules! read_int {
    ($($name:ident: $ty:ty, $decode:ident, $order:literal;)*) => {$(
        #[doc = concat!("Reads a `", stringify!($ty), "` in ", $order, " byte order; fails with ")]
        /// `UnexpectedEof` if the stream ends first.
        ///
        /// # Cancel safety
        /// Not cancellation safe (but `read_u8`/`read_i8` are: one byte is read or none):
        /// bytes read before cancellation are lost.
        fn $name(&mut self) -> ReadInt<'_, Self, $ty>
        where
            Self: Unpin,
        {
            const LEN: usize = std::mem::size_of::<$ty>();
            ReadInt {
                reader: self,
                bytes: [0; 8],
                len: LEN,
                filled: 0,
                decode: |bytes| {
                    let mut exact = [0; LEN];
                    exact.copy_from_slice(&bytes[..LEN]);
                    <$ty>::$decode(exact)
                },
            }
        }
    )*};
}

/// `AsyncWriteExt` methods writing one integer of `$ty` with `$encode` (`to_be_bytes` or
/// `to_le_bytes`).
macro_rules! write_int {
    ($($name:ident: $ty:ty, $encode:ident, $order:literal;)*) => {$(
        #[doc = concat!("Writes a `", stringify!($ty), "` in ", $order, " byte order.")]
        ///
        /// # Cancel safety
        /// Not cancellation safe: part of the integer may have been written.
        fn $name(&mut self, n: $ty) -> WriteInt<'_, Self>
        where
            Self: Unpin,
        {
            const LEN: usize = std::mem::size_of::<$ty>();
            let mut bytes = [0; 8];
            bytes[..LEN].copy_from_slice(&n.$encode());
            WriteInt {
                writer: self,
                bytes,
                len: LEN,
                written: 0,
            }
        }
    )*};
}

/// Awaitable reads for every [`AsyncRead`].
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes into `buf`; `Ok(0)` is end of stream (for a non-empty `buf`).
    ///
    /// # Cancel safety
    /// Cancellation safe: if the future is dropped before it completes, no byte was read.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        Read { reader: self, buf }
    }

    /// Reads some bytes and appends them to `buf`; returns how many. `Ok(0)` is end of
    /// stream.
    ///
    /// The bytes go into `buf`'s spare capacity; when it has none, room for 64 more bytes
    /// is reserved first (as tokio's `read_buf` does with a `Vec<u8>`), so `Ok(0)` always
    /// means end of stream. tokio's takes any `bytes::BufMut`; corio has no `bytes`
    /// dependency and takes a `Vec<u8>`. One read fills at most 64 KiB.
    ///
    /// ```
    /// use corio::io::AsyncReadExt;
    ///
    /// corio::block_on(async {
    ///     let mut input: &[u8] = b"hello";
    ///     let mut buf = b">".to_vec();
    ///     let n = input.read_buf(&mut buf).await?;
    ///     assert_eq!((n, &buf[..]), (5, &b">hello"[..]));
    ///     assert_eq!(input.read_buf(&mut buf).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Cancel safety
    /// Cancellation safe: if the future is dropped before it completes, no byte was read
    /// and `buf` holds what it held before.
    fn read_buf<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadBuf<'a, Self>
    where
        Self: Unpin,
    {
        ReadBuf { reader: self, buf }
    }

    /// Fills `buf` completely, or fails with `UnexpectedEof` if the stream ends first.
    ///
    /// # Cancel safety
    /// Not cancellation safe: some bytes may have been read into `buf`, and how many is
    /// not known.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact {
            reader: self,
            buf,
            filled: 0,
        }
    }

    /// Appends everything up to end of stream to `buf`; returns how many bytes it added.
    ///
    /// # Cancel safety
    /// No byte is lost on cancellation: what was read is already in `buf`; calling again
    /// appends the rest.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        let start = buf.len();
        ReadToEnd {
            reader: self,
            buf,
            start,
        }
    }

    /// Appends everything up to end of stream to `buf`; returns how many bytes it added.
    ///
    /// # Errors
    /// If what was read is not UTF-8, fails with [`InvalidData`](std::io::ErrorKind::InvalidData)
    /// and leaves `buf` as it was; the error carries the bytes read as a
    /// [`FromUtf8Error`](std::string::FromUtf8Error) (`err.into_inner()`, then
    /// `downcast::<FromUtf8Error>()` and `into_bytes()`). On an I/O error, `buf` is left as
    /// it was and the bytes read are dropped.
    ///
    /// # Cancel safety
    /// Not cancellation safe: if the future is dropped before it completes, `buf` is left
    /// as it was and the bytes read are lost.
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        ReadToString::new(self, buf)
    }

    /// A reader that ends after at most `limit` bytes of this one (see [`Take`]). Use
    /// `(&mut reader).take(limit)` to keep `reader` for later.
    ///
    /// ```
    /// use corio::io::AsyncReadExt;
    ///
    /// # corio::block_on(async {
    /// let mut reader: &[u8] = b"hello world";
    /// let mut first = String::new();
    /// (&mut reader).take(5).read_to_string(&mut first).await?;
    /// assert_eq!(first, "hello");
    /// assert_eq!(reader, b" world");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, limit)
    }

    /// A reader of this one until its end, then of `next` (see [`Chain`]).
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        Chain::new(self, next)
    }

    read_int! {
        read_u8: u8, from_be_bytes, "big-endian";
        read_i8: i8, from_be_bytes, "big-endian";
        read_u16: u16, from_be_bytes, "big-endian";
        read_i16: i16, from_be_bytes, "big-endian";
        read_u32: u32, from_be_bytes, "big-endian";
        read_i32: i32, from_be_bytes, "big-endian";
        read_u64: u64, from_be_bytes, "big-endian";
        read_i64: i64, from_be_bytes, "big-endian";
        read_u16_le: u16, from_le_bytes, "little-endian";
        read_i16_le: i16, from_le_bytes, "little-endian";
        read_u32_le: u32, from_le_bytes, "little-endian";
        read_i32_le: i32, from_le_bytes, "little-endian";
        read_u64_le: u64, from_le_bytes, "little-endian";
        read_i64_le: i64, from_le_bytes, "little-endian";
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Awaitable writes for every [`AsyncWrite`].
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf`; returns how many bytes were accepted.
    ///
    /// # Cancel safety
    /// Cancellation safe: if the future is dropped before it completes, no byte was
    /// written.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write { writer: self, buf }
    }

    /// Writes some of `bufs`, in order, as one write of their concatenation would; returns
    /// how many bytes were accepted in all (sockets: one `sendmsg`; see
    /// [`AsyncWrite::poll_write_vectored`]).
    ///
    /// # Cancel safety
    /// Cancellation safe, as [`write`](Self::write).
    fn write_vectored<'a, 'b>(&'a mut self, bufs: &'a [IoSlice<'b>]) -> WriteVectored<'a, 'b, Self>
    where
        Self: Unpin,
    {
        WriteVectored { writer: self, bufs }
    }

    /// Writes all of `buf`, waiting for buffer space as often as needed.
    ///
    /// # Cancel safety
    /// Not cancellation safe: part of `buf` may have been written, and how much is not
    /// known.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll { writer: self, buf }
    }

    /// Flushes user-space buffers.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush { writer: self }
    }

    /// Flushes and shuts down the writing side ([`AsyncWrite::poll_close`]): for a TCP
    /// stream, buffered bytes go out, then a FIN, and the peer reads end of stream while
    /// this side can still read. tokio's name; [`close`](Self::close) does the same.
    ///
    /// ```no_run
    /// use corio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # corio::block_on(async {
    /// let mut stream = corio::net::TcpStream::connect("127.0.0.1:7000").await?;
    /// stream.write_all(b"request").await?;
    /// stream.shutdown().await?; // the server reads end of stream
    /// let mut reply = Vec::new();
    /// stream.read_to_end(&mut reply).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    fn shutdown(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        Close { writer: self }
    }

    /// Flushes and closes the writing side: the same as [`shutdown`](Self::shutdown)
    /// (this is the `futures-io` name).
    fn close(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        Close { writer: self }
    }

    write_int! {
        write_u8: u8, to_be_bytes, "big-endian";
        write_i8: i8, to_be_bytes, "big-endian";
        write_u16: u16, to_be_bytes, "big-endian";
        write_i16: i16, to_be_bytes, "big-endian";
        write_u32: u32, to_be_bytes, "big-endian";
        write_i32: i32, to_be_bytes, "big-endian";
        write_u64: u64, to_be_bytes, "big-endian";
        write_i64: i64, to_be_bytes, "big-endian";
        write_u16_le: u16, to_le_bytes, "little-endian";
        write_i16_le: i16, to_le_bytes, "little-endian";
        write_u32_le: u32, to_le_bytes, "little-endian";
        write_i32_le: i32, to_le_bytes, "little-endian";
        write_u64_le: u64, to_le_bytes, "little-endian";
        write_i64_le: i64, to_le_bytes, "little-endian";
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
