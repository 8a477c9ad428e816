//! First paint as the user sees it, from outside the app: the moment its X11 window is mapped and holds more
//! than one colour.
//!
//! A window that is mapped but blank (X's black, or GTK's and WebKit's background colour alone) has not
//! shown the user anything yet; a static skeleton of the layout, or the page itself, has. The watcher is an X
//! client of its own on the bench's Xvfb, connected before the app is spawned: it hears the top-level window
//! being mapped (`SubstructureNotify` on the root window), then grabs the window (`GetImage`) each time the
//! DAMAGE extension reports that something was drawn into it (and every 50 ms besides, should a drawing escape
//! DAMAGE), until a grab is not one flat colour. Waiting on events rather than grabbing as fast as it can keeps
//! it mostly off the two cores the app needs (a grab of a 1200×800 window costs Xvfb and the bench 10–60 ms on a
//! busy machine), and the time is that of the event that brought the colours. Only one app runs on the display
//! at a time, so the first large window mapped is the app's.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ClientMessageEvent, ConnectionExt as _, EventMask, ImageFormat, Window,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

/// Smaller windows (GTK's leader and helper windows are 1×1 or unmapped) are not the app's.
const MIN_SIDE: u16 = 200;
/// Grab again when no damage was reported for this long: a safety net should a drawing escape DAMAGE.
const REGRAB_AFTER: Duration = Duration::from_millis(50);
/// Colours counted up to this many; more says nothing more.
const COLOUR_CAP: usize = 64;

/// What one start showed.
#[derive(Debug, Clone)]
pub struct FirstPaint {
    /// When the window was mapped, after the given start instant.
    pub mapped_ms: f64,
    /// When the window first held more than one colour.
    pub painted_ms: f64,
    /// Colours in that grab (capped at [`COLOUR_CAP`]).
    pub colours: usize,
    /// That grab, to look at.
    pub image: Grab,
}

/// A window's pixels as X sent them: 4 bytes each (blue, green, red, unused), row after row.
#[derive(Debug, Clone)]
pub struct Grab {
    pub width: u16,
    pub height: u16,
    pub data: Vec<u8>,
}

impl Grab {
    fn pixel(&self, i: usize) -> [u8; 3] {
        [self.data[4 * i], self.data[4 * i + 1], self.data[4 * i + 2]]
    }

    /// Whether any pixel differs from the first. Rows are compared whole first (a `memcmp` each), which keeps
    /// the check cheap in the unoptimised xtask build, then pixel by pixel where a row differs.
    pub fn has_content(&self) -> bool {
        let (w, h) = (self.width as usize, self.height as usize);
        if w == 0 || h == 0 {
            return false;
        }
        let first = self.pixel(0);
        let row_bytes = 4 * w;
        let pattern: Vec<u8> = self.data[..4].repeat(w);
        (0..h).any(|y| {
            let row = &self.data[y * row_bytes..(y + 1) * row_bytes];
            row != pattern.as_slice() && (0..w).any(|x| self.pixel(y * w + x) != first)
        })
    }

    /// Colours, counted on every fifth pixel of every fifth row and up to [`COLOUR_CAP`]: enough to tell a
    /// blank window (1), a skeleton (a handful) and a page with text (many) apart.
    pub fn colours(&self) -> usize {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut seen = HashSet::new();
        for y in (0..h).step_by(5) {
            for x in (0..w).step_by(5) {
                if seen.insert(self.pixel(y * w + x)) && seen.len() >= COLOUR_CAP {
                    return seen.len();
                }
            }
        }
        seen.len().max(if self.has_content() { 2 } else { 1 })
    }

    /// Writes a binary PPM (any image viewer, or `convert x.ppm x.png`).
    pub fn save_ppm(&self, path: &Path) -> Result<()> {
        let mut out = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.reserve(self.data.len() / 4 * 3);
        for p in self.data.chunks_exact(4) {
            out.extend_from_slice(&[p[2], p[1], p[0]]);
        }
        std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
    }
}

/// A watcher started before the app, to be joined once it is ready.
pub struct Watcher {
    handle: JoinHandle<Result<FirstPaint>>,
    stop: mpsc::Sender<()>,
}

impl Watcher {
    /// Connects to `display` and starts listening; `start` is the instant the figures count from (set it just
    /// before spawning the app).
    pub fn start(display: &str, start: Instant, timeout: Duration) -> Result<Self> {
        let (conn, screen) =
            x11rb::connect(Some(display)).with_context(|| format!("connecting to X display {display}"))?;
        let root = conn.setup().roots[screen].root;
        conn.damage_query_version(1, 1)?.reply().context("the X server has no DAMAGE extension")?;
        conn.change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
        )?
        .check()?;
        let (stop, stopped) = mpsc::channel();
        let handle = std::thread::spawn(move || watch(conn, root, start, start + timeout, &stopped));
        Ok(Watcher { handle, stop })
    }

    /// The first paint, waiting for it up to the timeout given to [`Watcher::start`].
    pub fn join(self) -> Result<FirstPaint> {
        let result = self.handle.join().map_err(|_| anyhow::anyhow!("the first-paint watcher panicked"))?;
        drop(self.stop);
        result
    }

    /// Gives up at once (the app failed to start).
    pub fn abandon(self) {
        let _ = self.stop.send(());
        let _ = self.handle.join();
    }
}

fn watch(
    conn: RustConnection,
    root: Window,
    start: Instant,
    deadline: Instant,
    stopped: &mpsc::Receiver<()>,
) -> Result<FirstPaint> {
    let ms = |at: Instant| at.duration_since(start).as_secs_f64() * 1000.0;
    let conn = Arc::new(conn);
    // Events are read on a thread of their own, each stamped as it arrives, so waiting for one never holds back
    // a regrab.
    let (tx, events) = mpsc::channel();
    let reader = Arc::clone(&conn);
    std::thread::spawn(move || {
        while let Ok(event) = reader.wait_for_event() {
            if tx.send((Instant::now(), event)).is_err() {
                break;
            }
        }
    });
    let result = watch_events(&conn, &events, &ms, deadline, stopped);
    // Wakes the reader with an event of our own, so it finds nobody listening and ends.
    drop(events);
    let wake = ClientMessageEvent::new(32, root, AtomEnum::NONE, [0u32; 5]);
    let _ = conn.send_event(false, root, EventMask::SUBSTRUCTURE_NOTIFY, wake);
    let _ = conn.flush();
    result
}

fn watch_events(
    conn: &RustConnection,
    events: &mpsc::Receiver<(Instant, Event)>,
    ms: &dyn Fn(Instant) -> f64,
    deadline: Instant,
    stopped: &mpsc::Receiver<()>,
) -> Result<FirstPaint> {
    let mut window: Option<(Window, u16, u16, Instant)> = None;
    loop {
        if Instant::now() > deadline || stopped.try_recv().is_ok() {
            bail!("no window with content within {:.0} ms", ms(Instant::now()));
        }
        // Without a window yet, only events matter; with one, grab again after a quiet spell as well.
        let wait = if window.is_some() { REGRAB_AFTER } else { Duration::from_millis(100) };
        let mut damaged = None;
        let mut next = events.recv_timeout(wait).ok();
        while let Some((at, event)) = next {
            match event {
                Event::MapNotify(e) if window.is_none() => {
                    let geometry = conn.get_geometry(e.window)?.reply()?;
                    if geometry.width >= MIN_SIDE && geometry.height >= MIN_SIDE {
                        let id = conn.generate_id()?;
                        conn.damage_create(id, e.window, damage::ReportLevel::NON_EMPTY)?;
                        window = Some((e.window, geometry.width, geometry.height, at));
                        // It may hold content already.
                        damaged = Some(at);
                    }
                }
                Event::ConfigureNotify(e) => {
                    if let Some((w, width, height, _)) = window.as_mut() {
                        if *w == e.window {
                            (*width, *height) = (e.width, e.height);
                        }
                    }
                }
                Event::DamageNotify(e) => {
                    conn.damage_subtract(e.damage, x11rb::NONE, x11rb::NONE)?;
                    damaged.get_or_insert(at);
                }
                _ => {}
            }
            next = events.try_recv().ok();
        }
        let Some((w, width, height, mapped_at)) = window else { continue };
        let at = damaged.unwrap_or_else(Instant::now);
        let Ok(image) = grab(conn, w, width, height) else { continue };
        if image.has_content() {
            let colours = image.colours();
            return Ok(FirstPaint { mapped_ms: ms(mapped_at), painted_ms: ms(at), colours, image });
        }
    }
}

/// The window's pixels (depth 24 at 32 bits per pixel, as Xvfb's `1280x1024x24` screen has).
pub fn grab(conn: &RustConnection, window: Window, width: u16, height: u16) -> Result<Grab> {
    let reply = conn.get_image(ImageFormat::Z_PIXMAP, window, 0, 0, width, height, !0)?.reply()?;
    if reply.depth != 24 || reply.data.len() < width as usize * height as usize * 4 {
        bail!("unexpected image: depth {}, {} bytes for {width}×{height}", reply.depth, reply.data.len());
    }
    let mut data = reply.data;
    data.truncate(width as usize * height as usize * 4);
    Ok(Grab { width, height, data })
}

/// The largest mapped top-level window on `display`, grabbed now: what the user sees at a given moment.
pub fn grab_screen_window(display: &str) -> Result<Grab> {
    let (conn, screen) = x11rb::connect(Some(display))?;
    let root = conn.setup().roots[screen].root;
    let mut best = None;
    for w in conn.query_tree(root)?.reply()?.children {
        let Ok(attrs) = conn.get_window_attributes(w)?.reply() else { continue };
        if attrs.map_state != x11rb::protocol::xproto::MapState::VIEWABLE {
            continue;
        }
        let g = conn.get_geometry(w)?.reply()?;
        let area = g.width as u32 * g.height as u32;
        if best.is_none_or(|(_, _, _, a)| area > a) {
            best = Some((w, g.width, g.height, area));
        }
    }
    let (w, width, height, _) = best.context("no mapped window")?;
    grab(&conn, w, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grab_of(pixels: &[u32], width: u16) -> Grab {
        let data = pixels.iter().flat_map(|p| p.to_le_bytes()).collect::<Vec<_>>();
        Grab { width, height: (pixels.len() / width as usize) as u16, data }
    }

    #[test]
    fn a_blank_surface_has_no_content_and_a_drawn_one_has() {
        let blank = grab_of(&[0x00ff_ffff; 100], 10);
        assert!(!blank.has_content(), "a window filled with its background colour has shown nothing yet");
        assert_eq!(blank.colours(), 1);
        let mut pixels = vec![0x00ff_ffff; 100];
        pixels[57] = 0x00f6_f6f4;
        let drawn = grab_of(&pixels, 10);
        assert!(drawn.has_content(), "one pixel of another colour is content");
        assert_eq!(drawn.colours(), 2, "a pixel the sampling skips still makes two colours");
    }

    #[test]
    fn the_unused_fourth_byte_is_not_a_colour() {
        let pixels: Vec<u32> = (0..100).map(|i| 0x00ff_ffff | (i << 24)).collect();
        assert!(!grab_of(&pixels, 10).has_content(), "only blue, green and red count");
    }

    #[test]
    fn colours_stop_being_counted_at_the_cap() {
        let many: Vec<u32> = (0..100_000).map(|i| i * 5).collect();
        assert_eq!(grab_of(&many, 1000).colours(), COLOUR_CAP, "counting stops once the answer cannot change");
    }
}
