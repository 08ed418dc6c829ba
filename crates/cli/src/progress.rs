//! Training progress on stderr and in `--log-json`.
//!
//! On a terminal, one `indicatif` bar per pretrained layer and one for fine-tuning, each
//! moving after every minibatch, with the epoch, elapsed time, ETA and the last epoch's
//! loss; when stderr is not a terminal (a
//! log, a pipe), one plain line per epoch instead; with `--quiet`, nothing. `--log-json`
//! gets one JSON object per epoch ([`EpochRecord`]), flushed as it is written.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use layerwise_cli::record::{EpochRecord, Observer, Phase};
use layerwise_models::At;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;

/// How progress is shown on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// Bars (stderr is a terminal).
    Bars,
    /// One line per epoch.
    Lines,
    /// Nothing.
    Quiet,
}

impl Display {
    /// Bars on a terminal, lines elsewhere, nothing when `quiet`.
    pub fn choose(quiet: bool) -> Display {
        match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => Display::Quiet,
            (false, true) => Display::Bars,
            (false, false) => Display::Lines,
        }
    }
}

/// The observer of a training run: stderr and the JSON log.
pub struct Progress {
    display: Display,
    bar: Option<ProgressBar>,
    /// Whether the bar has moved in its phase (a resumed phase jumps to where it was).
    moved: bool,
    /// The current phase, for line output.
    phase: Option<Phase>,
    log: Option<BufWriter<File>>,
    /// A line printed when the first phase starts (once the model is built).
    header: Option<String>,
    /// The first error writing the log; reported after training.
    log_error: Option<std::io::Error>,
}

impl Progress {
    /// Progress shown as `display` after `header`, epochs logged to `log` when given.
    pub fn new(display: Display, log: Option<File>, header: String) -> Progress {
        Progress {
            display,
            bar: None,
            moved: false,
            phase: None,
            log: log.map(BufWriter::new),
            header: (display != Display::Quiet).then_some(header),
            log_error: None,
        }
    }

    /// Closes the last bar; the first error writing the log, if any.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.close_bar();
        if let Some(e) = self.log_error.take() {
            return Err(e);
        }
        match self.log.as_mut() {
            Some(log) => log.flush(),
            None => Ok(()),
        }
    }

    /// Leaves the bar drawn as it ended and moves below it.
    fn close_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
            eprintln!();
        }
    }

    /// The epochs of the current phase.
    fn epochs(&self) -> usize {
        match self.phase {
            Some(Phase::Pretrain { epochs, .. } | Phase::Finetune { epochs }) => epochs,
            None => 0,
        }
    }

    fn open_bar(&mut self, phase: Phase) {
        self.close_bar();
        let (prefix, epochs) = match phase {
            Phase::Pretrain {
                layer,
                n_layers,
                epochs,
            } => (format!("pretrain {}/{n_layers}", layer + 1), epochs),
            Phase::Finetune { epochs } => ("finetune".to_string(), epochs),
        };
        let template = "{prefix:>12} [{wide_bar}] {elapsed} (ETA {eta}) {msg}";
        let style = ProgressStyle::with_template(template)
            .expect("the template is valid")
            .progress_chars("=> ");
        let length = Some(epochs as u64 * TICKS);
        let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
        bar.set_message(format!("epoch 0/{epochs}"));
        self.moved = false;
        bar.set_style(style);
        bar.set_prefix(prefix);
        bar.enable_steady_tick(Duration::from_millis(500));
        self.bar = Some(bar);
    }

    fn log(&mut self, record: &EpochRecord) {
        let Some(log) = self.log.as_mut() else {
            return;
        };
        let line = serde_json::to_string(record).expect("records always serialise");
        let written = writeln!(log, "{line}").and_then(|_| log.flush());
        if let Err(e) = written {
            self.log_error.get_or_insert(e);
            self.log = None;
        }
    }
}

/// The figures of an epoch, for a bar's message or a line.
fn figures(record: &EpochRecord) -> String {
    match record {
        EpochRecord::Pretrain(r) => {
            let mut s = format!("error {:.4}", r.error);
            if let Some(t) = r.train_reconstruction {
                s += &format!(", clean {t:.4}");
            }
            if let Some(v) = r.validation_reconstruction {
                s += &format!(", validation {v:.4}");
            }
            s
        }
        EpochRecord::Finetune(r) => {
            let mut s = format!("loss {:.4}", r.train_loss);
            if let (Some(l), Some(a)) = (r.validation_loss, r.validation_accuracy) {
                s += &format!(", validation loss {l:.4}, accuracy {:.1} %", 100.0 * a);
            }
            if let (true, Some(best)) = (r.stopped_early, r.best_epoch) {
                s += &format!("; stopped early, keeping epoch {}", best + 1);
            }
            s
        }
    }
}

/// The figures of an epoch in few characters, for a bar.
fn short_figures(record: &EpochRecord) -> String {
    match record {
        EpochRecord::Pretrain(r) => format!("error {:.4}", r.error),
        EpochRecord::Finetune(r) => match r.validation_accuracy {
            Some(a) => format!("loss {:.4}, val {:.1} %", r.train_loss, 100.0 * a),
            None => format!("loss {:.4}", r.train_loss),
        },
    }
}

/// A bar's steps per epoch: it moves after every minibatch.
const TICKS: u64 = 1000;

impl Observer for Progress {
    fn minibatch(&mut self, at: At, n_rows: usize) {
        let Some(bar) = &self.bar else {
            return;
        };
        let within = at.rows_done as u64 * TICKS / n_rows.max(1) as u64;
        bar.set_position(at.epoch as u64 * TICKS + within);
        if !std::mem::replace(&mut self.moved, true) {
            // a resumed phase starts part way: estimate from here on
            bar.reset_eta();
        }
    }

    fn phase_started(&mut self, phase: Phase) {
        if let Some(header) = self.header.take() {
            eprintln!("{header}");
        }
        self.phase = Some(phase);
        if self.display == Display::Bars {
            self.open_bar(phase);
        }
    }

    fn epoch(&mut self, record: &EpochRecord) {
        self.log(record);
        let text = figures(record);
        match self.display {
            Display::Quiet => {}
            Display::Bars => {
                let epoch = match record {
                    EpochRecord::Pretrain(r) => r.epoch,
                    EpochRecord::Finetune(r) => r.epoch,
                };
                let epochs = self.epochs();
                if let Some(bar) = &self.bar {
                    let figures = short_figures(record);
                    bar.set_message(format!("epoch {}/{epochs}: {figures}", epoch + 1));
                    bar.set_position((epoch as u64 + 1) * TICKS);
                }
            }
            Display::Lines => {
                let line = match (record, self.phase) {
                    (
                        EpochRecord::Pretrain(r),
                        Some(Phase::Pretrain {
                            n_layers, epochs, ..
                        }),
                    ) => {
                        let (l, e) = (r.layer + 1, r.epoch + 1);
                        format!("pretrain layer {l}/{n_layers} epoch {e}/{epochs}: {text}")
                    }
                    (EpochRecord::Finetune(r), Some(Phase::Finetune { epochs })) => {
                        format!("finetune epoch {}/{epochs}: {text}", r.epoch + 1)
                    }
                    _ => text,
                };
                let seconds = match record {
                    EpochRecord::Pretrain(r) => r.seconds,
                    EpochRecord::Finetune(r) => r.seconds,
                };
                match seconds {
                    Some(s) => eprintln!("{line} ({s:.1} s)"),
                    None => eprintln!("{line}"),
                }
            }
        }
    }
}
