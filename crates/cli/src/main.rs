//! `layerwise`: train, evaluate, predict with, inspect and draw DBN, SDA, RBM, dA, MLP and
//! logistic models from the command line.
//!
//! One module per subcommand under `commands/`; each has its clap arguments and a `run`.
//! Errors reach `main` as `anyhow` errors and are printed as one line, `error: …`, with a
//! non-zero exit (2 for a command line clap rejects, 130 for training stopped by Ctrl-C
//! once its checkpoint is written, 1 for everything else).

mod commands;
mod progress;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Deep Belief Nets, Stacked Denoising Autoencoders and their layers, from the command line.
#[derive(Parser)]
#[command(name = "layerwise", version, propagate_version = true)]
struct Cli {
    /// Worker threads of the matrix kernels (default: LAYERWISE_THREADS, else all cores);
    /// results do not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on a CSV or IDX file (or a named data set) and save it.
    #[command(allow_negative_numbers = true)]
    Train(Box<commands::train::TrainArgs>),
    /// Print a classifier's report and confusion matrix on labelled data.
    Evaluate(commands::evaluate::EvaluateArgs),
    /// Write a classifier's label and class probabilities for each row, as CSV.
    Predict(commands::predict::PredictArgs),
    /// Print a model file's architecture, training configuration and recorded metrics.
    Inspect(commands::inspect::InspectArgs),
    /// Draw the first layer's weights as a grid of image tiles (PNG).
    Filters(commands::filters::FiltersArgs),
    /// Draw Gibbs chains of an rbm or a dbn's generative path as a grid (PNG).
    Sample(commands::sample::SampleArgs),
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return usage_error(e),
    };
    if let Some(n) = cli.threads {
        layerwise_linalg::set_threads(n);
    }
    let result = match cli.command {
        Command::Train(args) => {
            // the flags given on the command line, which `--resume` must not be given
            let train = matches
                .subcommand_matches("train")
                .expect("the train command");
            let given: Vec<String> = train
                .ids()
                .filter(|id| train.value_source(id.as_str()) == Some(ValueSource::CommandLine))
                .map(|id| id.as_str().to_string())
                .collect();
            commands::train::run(&args, &given)
        }
        Command::Evaluate(args) => commands::evaluate::run(&args),
        Command::Predict(args) => commands::predict::run(&args),
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Filters(args) => commands::filters::run(&args),
        Command::Sample(args) => commands::sample::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if commands::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e)
            if e.is::<commands::train::Interrupted>()
                || e.is::<commands::train::InterruptedEarly>() =>
        {
            eprintln!("{e}");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Help and version as clap prints them; a rejected command line as one line with clap's
/// tip, if any, and exit code 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let shown = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if shown {
        let _ = e.print();
        return ExitCode::from(e.exit_code() as u8);
    }
    let text = e.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("error:") || line.starts_with("tip:") {
            parts.push(line.trim_start_matches("error:").trim().to_string());
        }
    }
    eprintln!("error: {} (see --help)", parts.join("; "));
    ExitCode::from(2)
}
