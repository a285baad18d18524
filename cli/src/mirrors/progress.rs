//! Progress of a long run on stderr: a bar on a terminal (repositories,
//! blobs, bytes, rate), plain lines every few seconds otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    bar: Option<ProgressBar>,
    last_line: Mutex<Option<Instant>>,
    started: Instant,
}

impl Progress {
    pub fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            last_line: Mutex::new(None),
            started: Instant::now(),
        }
    }

    /// A phase starts: the walk (counting repositories) or the copy
    /// (counting bytes of `total`).
    pub fn phase(&self, name: &str, total_bytes: Option<u64>) {
        match &self.bar {
            Some(bar) => {
                let style = match total_bytes {
                    Some(total) => {
                        bar.set_length(total);
                        bar.set_position(0);
                        ProgressStyle::with_template(
                            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                        )
                    }
                    None => ProgressStyle::with_template("{spinner} {prefix} {msg}"),
                };
                if let Ok(style) = style {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_prefix(name.to_string());
            }
            None => eprintln!("registry-edge mirrors: {name}"),
        }
    }

    /// The current counts, shown at once on a bar, every few seconds as a line.
    pub fn update(&self, message: impl FnOnce() -> String) {
        match &self.bar {
            Some(bar) => bar.set_message(message()),
            None => {
                let mut last = self.last_line.lock().unwrap();
                if last.is_none_or(|t| t.elapsed() >= LINE_EVERY) {
                    *last = Some(Instant::now());
                    eprintln!(
                        "registry-edge mirrors: {} ({:.0} s)",
                        message(),
                        self.started.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }

    pub fn add_bytes(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
