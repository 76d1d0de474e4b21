//! Real-browser harness: headless Chromium (Debian's `chromium` and `chromedriver`) driven
//! over WebDriver with thirtyfour. One chromedriver per test process on a free port; each
//! screen is its own browser session (its own profile, so its own localStorage) with the
//! window size of the device it stands for. Every step can be saved as a screenshot under
//! `target/screenshots/<test>/`.
//!
//! Without a browser the tests skip with one line saying how to install it; with
//! `CI=true` a missing browser fails the run.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thirtyfour::prelude::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A phone on the hall's Wi-Fi.
pub const PHONE: (u32, u32) = (360, 640);
/// The organiser's laptop and the projector.
pub const WIDE: (u32, u32) = (1920, 1080);

struct Driver {
    url: String,
    _child: Child,
}

static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();

/// The chromedriver of this test process, or None (skip) when no browser is installed.
fn driver_url() -> Option<String> {
    let d = DRIVER.get_or_init(|| {
        let have = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
        if !have {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {CHROMIUM} or {CHROMEDRIVER} is missing: apt-get install chromium chromium-driver");
            }
            eprintln!("browser tests skipped: install Chromium with `apt-get install chromium chromium-driver`");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Driver { url, _child: child })
    });
    d.as_ref().map(|d| d.url.clone())
}

/// How long a wait may last: three times what the test names. The names say what a
/// person would accept; the margin is for a two-core machine running several browsers and
/// servers at once. A wait that succeeds returns at once, so it costs nothing then.
pub fn patience(secs: u64) -> Duration {
    Duration::from_secs(secs * 3)
}

/// True when the browser tests can run here (prints the skip line otherwise).
pub fn available() -> bool {
    driver_url().is_some()
}

/// One browser window standing for one device.
pub struct Screen {
    pub driver: WebDriver,
    pub name: String,
    dir: PathBuf,
    step: std::sync::atomic::AtomicUsize,
    _profile: tempfile::TempDir,
}

impl Screen {
    /// A laptop or projector window of `size`.
    pub async fn wide(test: &str, name: &str) -> Screen {
        Self::open(test, name, WIDE, false).await
    }

    /// A phone: 360×640, touch, a mobile user agent.
    pub async fn phone(test: &str, name: &str) -> Screen {
        Self::open(test, name, PHONE, true).await
    }

    async fn open(test: &str, name: &str, size: (u32, u32), mobile: bool) -> Screen {
        let url = driver_url().expect("browser available");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).unwrap();
        for a in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-features=Translate,MediaRouter",
            "--lang=vi-VN",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ] {
            caps.add_arg(a).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).unwrap();
        caps.add_arg(&format!("--window-size={},{}", size.0, size.1)).unwrap();
        if mobile {
            caps.add_experimental_option(
                "mobileEmulation",
                json!({
                    "deviceMetrics": { "width": size.0, "height": size.1, "pixelRatio": 2.0, "touch": true, "mobile": true },
                    "userAgent": "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
                }),
            )
            .unwrap();
        }
        let driver = WebDriver::new(&url, caps).await.expect("start a Chromium session");
        if !mobile {
            // The window size flag counts the (absent) browser chrome: set the viewport itself.
            let _ = driver
                .cdp()
                .send_raw(
                    "Emulation.setDeviceMetricsOverride",
                    json!({ "width": size.0, "height": size.1, "deviceScaleFactor": 1, "mobile": false }),
                )
                .await;
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots").join(test);
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        Screen { driver, name: name.to_owned(), dir, step: 0.into(), _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.driver.goto(url).await.unwrap_or_else(|e| panic!("{}: open {url}: {e}", self.name));
    }

    /// Signs in on the start page at `base` and waits for the page it leads to
    /// (`/console` for an organiser, `/judge` for a judge).
    pub async fn sign_in(&self, base: &str, user: &str, password: &str, lands_on: &str) {
        self.goto(&format!("{base}/")).await;
        self.fill("#u", user).await;
        self.fill("#p", password).await;
        self.click("#login button").await;
        self.wait_js(&format!("return location.pathname === '{lands_on}'"), 10).await;
    }

    /// Joins a team with its code on the join page at `base`, as `name`, and waits for
    /// the phone's play screen.
    pub async fn join(&self, base: &str, code: &str, name: &str) {
        self.goto(&format!("{base}/join?code={code}")).await;
        self.wait_text("#preview-team", "", 10).await;
        self.fill("#name", name).await;
        self.click("#join-submit").await;
        self.wait_js("return location.pathname === '/play'", 10).await;
    }

    /// Saves `NN-<screen>-<what>.png`.
    pub async fn shot(&self, what: &str) {
        let n = self.step.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.dir.join(format!("{n:02}-{}-{what}.png", self.name));
        self.driver.screenshot(&path).await.unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
    }

    /// The first element matching `css`, waiting up to 10 s for it to be displayed.
    /// A page that re-renders meanwhile (a live update) can leave the element it was
    /// checking stale: the search starts over, a few times.
    pub async fn find(&self, css: &str) -> WebElement {
        let mut tries = 0;
        loop {
            let el = self
                .driver
                .query(By::Css(css))
                .wait(patience(10), Duration::from_millis(50))
                .and_displayed()
                .first()
                .await;
            match el {
                Ok(el) => return el,
                Err(e) if tries < 5 && e.to_string().contains("stale") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{}: no visible {css}: {e}", self.name),
            }
        }
    }

    /// Clicks the first visible match. A page that re-renders between the find and the
    /// click (a live update) leaves a stale element: it is found again, a few times.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if tries < 5 && e.to_string().contains("stale") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{}: click {css}: {e}", self.name),
            }
        }
    }

    /// Clears the field and types into it.
    /// A field the page briefly disables or replaces (a save in flight, a live update) is
    /// tried again, for up to two seconds.
    pub async fn fill(&self, css: &str, text: &str) {
        let mut tries = 0;
        loop {
            let el = self.find(css).await;
            let r = match el.clear().await {
                Ok(()) => el.send_keys(text).await,
                Err(e) => Err(e),
            };
            match r {
                Ok(()) => return,
                Err(e) if tries < 20 && (e.to_string().contains("stale") || e.to_string().contains("interactable")) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{}: type into {css}: {e}", self.name),
            }
        }
    }

    /// The visible text of the first match.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// Waits up to `secs` until the text of `css` contains `needle`; panics with what it saw.
    pub async fn wait_text(&self, css: &str, needle: &str, secs: u64) -> String {
        let t0 = Instant::now();
        let mut last = String::new();
        while t0.elapsed() < patience(secs) {
            if let Ok(els) = self.driver.find_all(By::Css(css)).await {
                for el in els {
                    if let Ok(t) = el.text().await {
                        if t.contains(needle) {
                            return t;
                        }
                        last = t;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{}: {css} never showed {needle:?} within {secs}s; last text: {last:?}", self.name);
    }

    /// Waits until the script returns a truthy value; returns it.
    pub async fn wait_js(&self, script: &str, secs: u64) -> Value {
        let t0 = Instant::now();
        loop {
            let v = self.js(script).await;
            if !v.is_null() && v != json!(false) && v != json!("") && v != json!(0) {
                return v;
            }
            assert!(t0.elapsed() < patience(secs), "{}: {script} stayed falsy for {secs}s (×3)", self.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn js(&self, script: &str) -> Value {
        let r = self.driver.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{}: js {script}: {e}", self.name));
        r.json().clone()
    }

    /// Cuts the window off the network (DevTools offline) or brings it back.
    pub async fn offline(&self, off: bool) {
        // Without the Network domain enabled, Chromium flips navigator.onLine but still
        // lets requests and new sockets through.
        self.driver.cdp().send_raw("Network.enable", json!({})).await.expect("network domain");
        self.driver
            .cdp()
            .send_raw(
                "Network.emulateNetworkConditions",
                json!({ "offline": off, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
            )
            .await
            .expect("network conditions");
        if off {
            // DevTools offline blocks new requests; an open WebSocket must drop too, as it
            // would when a phone leaves the Wi-Fi.
            let _ = self.js("window.dispatchEvent(new Event('offline')); return true;").await;
        }
    }

    pub async fn quit(self) {
        let _ = self.driver.quit().await;
    }
}
