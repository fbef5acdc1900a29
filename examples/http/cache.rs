//! The open-file cache: a bounded map, on the runtime thread, from a request's path to
//! the file already opened for it (by `files::open`, with every root check), its
//! identity, and the bytes of its response head that do not change between requests.
//!
//! A hit costs no open, no close and no hand-off to the blocking pool: the entry is
//! looked up and, at most once every [`REVALIDATE`] per entry, checked with one `stat` of
//! its path on the runtime thread. A file replaced, changed or removed on disk (another
//! device, inode, size or modification time) drops its entry, and the request goes the
//! miss path: the checked `open` on the blocking pool, which answers 404 for a file that
//! is gone. A client can therefore see a stale file for at most [`REVALIDATE`].
//!
//! The cache holds at most its capacity of entries (and so of descriptors, plus those of
//! evicted entries still being sent), evicting with a clock: every hit marks its entry,
//! and the hand clears marks until it finds an unmarked entry to drop. One cache per
//! thread: the example's runtime is single-threaded, so `Rc` and `RefCell` suffice, and
//! no borrow is held across an `.await`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an entry is served without a `stat` of its path: the bound on serving a
/// file that changed on disk. `--revalidate-ms` overrides it (tests shorten it).
pub const REVALIDATE: Duration = Duration::from_millis(1000);
/// How many entries the cache holds by default (`--cache-entries` overrides it); never
/// more than a quarter of the descriptor limit, so connections keep the rest.
pub const CAPACITY: usize = 1024;
/// Files up to this size also keep their bytes in the entry, read once per validation,
/// so that a response is one write of head and body. Measured against a head write and
/// a `sendfile` (DESIGN.md §18): cheaper for 1 KiB, even at 4 KiB, dearer at 16 KiB.
/// `--small-body` overrides it. At most capacity × this much memory.
pub const SMALL_BODY: u64 = 4 * 1024;

/// What a cache key names: the decoded relative path, and whether the target ended in
/// `/` (a directory is served, as its `index.html`, only so named).
pub type Key = (OsString, bool);

/// What identifies one version of a file: if any of it differs, the file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl FileId {
    /// The identity `meta` describes.
    pub fn of(meta: &Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }
}

/// One open file and what its responses need. Built on the blocking pool by
/// `disk::open_entry`, then shared (`Rc`) by the connections sending it: an evicted
/// entry's descriptor closes when the last of them is done.
#[derive(Debug)]
pub struct Entry {
    /// The open file; an `Arc` because the read/write path reads it on pool threads. Its
    /// position is never used: every read and `sendfile` names its offset.
    pub file: Arc<File>,
    /// The size when opened (validated since): the Content-Length of a 200.
    pub len: u64,
    /// The modification time in whole seconds: `Last-Modified` and `If-Modified-Since`.
    pub mtime: u64,
    /// The entity tag, quotes included: `"inode-mtime-size"` in hex (mtime in ns).
    pub etag: String,
    /// `Server`, `Content-Type`, `Last-Modified`, `ETag` and `Accept-Ranges` lines,
    /// formatted once: every 200 and 206 head carries them.
    pub fields: Vec<u8>,
    /// `Content-Length: LEN\r\n`, for the 200.
    pub length_field: Vec<u8>,
    /// The `Last-Modified` date, for the 304.
    pub last_modified: [u8; 29],
    /// The whole contents, for files up to the small-body limit.
    pub body: Option<Box<[u8]>>,
    /// What the revalidating `stat` must find.
    pub id: FileId,
    /// The path to `stat`: the root joined with the request's path (and `index.html`
    /// for a directory), symlinks followed as the open followed them.
    pub stat_path: PathBuf,
    /// When the entry was last known to match the disk.
    pub checked: Cell<Instant>,
}

/// The cache's limits (see [`configure`]).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub capacity: usize,
    pub revalidate: Duration,
    pub small_body: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            capacity: CAPACITY,
            revalidate: REVALIDATE,
            small_body: SMALL_BODY,
        }
    }
}

/// One slot of the clock: an entry and whether it was used since the hand last passed.
struct Slot {
    key: Key,
    entry: Rc<Entry>,
    used: bool,
}

/// The map, the clock's slots (never more than `capacity`), free slots, and the hand.
struct Cache {
    map: HashMap<Key, usize>,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    hand: usize,
    settings: Settings,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache {
        map: HashMap::new(),
        slots: Vec::new(),
        free: Vec::new(),
        hand: 0,
        settings: Settings::default(),
    });
}

/// Sets this thread's cache limits (before serving: entries already cached stay). The
/// capacity is at least 1, and at most a quarter of the soft descriptor limit.
pub fn configure(mut settings: Settings) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only the rlimit it is given, which lives on this stack.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        let quarter = usize::try_from(limit.rlim_cur / 4).unwrap_or(usize::MAX);
        settings.capacity = settings.capacity.min(quarter);
    }
    settings.capacity = settings.capacity.max(1);
    CACHE.with(|c| c.borrow_mut().settings = settings);
}

/// This thread's cache limits.
pub fn settings() -> Settings {
    CACHE.with(|c| c.borrow().settings)
}

/// The entry for `key` if it is cached and still matches the disk: checked by a `stat`
/// of its path when it was last checked [`Settings::revalidate`] ago or more. A changed
/// or vanished file drops the entry and answers `None`: open it again.
pub fn lookup(key: &Key) -> Option<Rc<Entry>> {
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        let index = *cache.map.get(key)?;
        let revalidate = cache.settings.revalidate;
        let slot = cache.slots[index].as_mut()?;
        let entry = &slot.entry;
        let now = Instant::now();
        if now.duration_since(entry.checked.get()) >= revalidate {
            let same = std::fs::metadata(&entry.stat_path)
                .is_ok_and(|meta| meta.is_file() && FileId::of(&meta) == entry.id);
            if !same {
                cache.remove(index);
                return None;
            }
            entry.checked.set(now);
        }
        slot.used = true;
        Some(Rc::clone(&slot.entry))
    })
}

/// Caches `entry` under `key` (replacing an older one), evicting another if the cache is
/// full, and returns it.
pub fn insert(key: Key, entry: Entry) -> Rc<Entry> {
    let entry = Rc::new(entry);
    CACHE.with(|c| c.borrow_mut().insert(key, Rc::clone(&entry)));
    entry
}

impl Cache {
    fn insert(&mut self, key: Key, entry: Rc<Entry>) {
        if let Some(&index) = self.map.get(&key) {
            if let Some(slot) = self.slots[index].as_mut() {
                slot.entry = entry;
                return;
            }
        }
        let index = if let Some(index) = self.free.pop() {
            index
        } else if self.slots.len() < self.settings.capacity {
            self.slots.push(None);
            self.slots.len() - 1
        } else {
            self.evict()
        };
        self.map.insert(key.clone(), index);
        self.slots[index] = Some(Slot {
            key,
            entry,
            used: false,
        });
    }

    /// Runs the clock hand to an entry not used since its last pass, drops it, and
    /// returns its slot. Ends within two turns: the first clears every mark.
    fn evict(&mut self) -> usize {
        loop {
            let index = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            match &mut self.slots[index] {
                Some(slot) if slot.used => slot.used = false,
                Some(_) => {
                    self.remove(index);
                    return self.free.pop().unwrap_or(index);
                }
                None => return index,
            }
        }
    }

    /// Drops the entry in slot `index` and frees the slot.
    fn remove(&mut self, index: usize) {
        if let Some(slot) = self.slots[index].take() {
            self.map.remove(&slot.key);
            self.free.push(index);
        }
    }
}
