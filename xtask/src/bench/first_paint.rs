//! First paint as the user sees it, from outside the app: the moment its X11 window is mapped and holds more
//! than one colour.
//!
//! A window that is mapped but blank (X's black, or GTK's and WebKit's background colour alone) has not
//! shown the user anything yet; a static skeleton of the layout, or the page itself, has. The watcher is an X
//! client of its own on the bench's Xvfb, connected before the app is spawned: it hears the top-level window
//! being mapped (`SubstructureNotify` on the root window), then grabs the window (`GetImage`) each time the
//! DAMAGE extension reports that something was drawn into it, and counts colours. Waiting on events rather than
//! polling keeps it off the two cores the app needs, and the time is that of the event that brought the
//! colours. Only one app runs on the display at a time, so the first large window mapped is the app's.

use std::collections::HashSet;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConnectionExt as _, EventMask, ImageFormat, Window};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

/// Smaller windows (GTK's leader and helper windows are 1×1 or unmapped) are not the app's.
const MIN_SIDE: u16 = 200;
/// Grab again when no damage was reported for this long: a safety net should a drawing escape DAMAGE.
const REGRAB_AFTER: Duration = Duration::from_millis(50);
const IDLE_SLEEP: Duration = Duration::from_millis(1);
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

/// A window's pixels as 0x00RRGGBB.
#[derive(Debug, Clone)]
pub struct Grab {
    pub width: u16,
    pub height: u16,
    pub pixels: Vec<u32>,
}

impl Grab {
    pub fn colours(&self) -> usize {
        let mut seen = HashSet::new();
        for p in &self.pixels {
            if seen.insert(*p) && seen.len() >= COLOUR_CAP {
                break;
            }
        }
        seen.len()
    }

    /// Writes a binary PPM (any image viewer, or `convert x.ppm x.png`).
    pub fn save_ppm(&self, path: &Path) -> Result<()> {
        let mut out = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.reserve(self.pixels.len() * 3);
        for p in &self.pixels {
            out.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, *p as u8]);
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
        let handle = std::thread::spawn(move || watch(&conn, start, start + timeout, &stopped));
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

fn watch(conn: &RustConnection, start: Instant, deadline: Instant, stopped: &mpsc::Receiver<()>) -> Result<FirstPaint> {
    let ms = |at: Instant| at.duration_since(start).as_secs_f64() * 1000.0;
    let mut window: Option<(Window, u16, u16, Instant)> = None;
    let mut last_grab = Instant::now();
    loop {
        if Instant::now() > deadline || stopped.try_recv().is_ok() {
            bail!("no window with content within {:.0} ms", ms(Instant::now()));
        }
        let mut damaged = None;
        while let Some(event) = conn.poll_for_event()? {
            let at = Instant::now();
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
        }
        let Some((w, width, height, mapped_at)) = window else {
            std::thread::sleep(IDLE_SLEEP);
            continue;
        };
        let at = match damaged {
            Some(at) => at,
            None if last_grab.elapsed() >= REGRAB_AFTER => Instant::now(),
            None => {
                std::thread::sleep(IDLE_SLEEP);
                continue;
            }
        };
        last_grab = Instant::now();
        let Ok(image) = grab(conn, w, width, height) else { continue };
        let colours = image.colours();
        if colours > 1 {
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
    let pixels = reply
        .data
        .chunks_exact(4)
        .take(width as usize * height as usize)
        .map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0]))
        .collect();
    Ok(Grab { width, height, pixels })
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

    #[test]
    fn a_blank_surface_has_one_colour_and_a_drawn_one_more() {
        let blank = Grab { width: 2, height: 2, pixels: vec![0x00ff_ffff; 4] };
        assert_eq!(blank.colours(), 1, "a window filled with its background colour has shown nothing yet");
        let drawn = Grab { width: 2, height: 2, pixels: vec![0x00ff_ffff, 0x00f6_f6f4, 0x00ff_ffff, 0x0000_0000] };
        assert_eq!(drawn.colours(), 3, "each distinct colour counts once");
    }

    #[test]
    fn colours_stop_being_counted_at_the_cap() {
        let many = Grab { width: 1000, height: 1, pixels: (0..1000).collect() };
        assert_eq!(many.colours(), COLOUR_CAP, "counting stops once the answer cannot change");
    }
}
