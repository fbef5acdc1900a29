//! Names the OS families corio's backends are chosen by, once, as cfg flags, so the
//! sources say `cfg(corio_kqueue)` instead of repeating the list of BSDs everywhere.
//!
//! - `corio_epoll`: Linux and Android (epoll, eventfd, `POLLRDHUP`).
//! - `corio_kqueue`: macOS, iOS and the BSDs (kqueue).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(corio_epoll)");
    println!("cargo::rustc-check-cfg=cfg(corio_kqueue)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        "linux" | "android" => println!("cargo::rustc-cfg=corio_epoll"),
        "macos" | "ios" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" => {
            println!("cargo::rustc-cfg=corio_kqueue")
        }
        _ => {}
    }
}
