//! `train --plot`: a training record's per-epoch curves, drawn with `plotters` into a PNG.
//!
//! Up to three panels side by side, each only when the record has its figures:
//! pretraining error per layer (an RBM's reconstruction error, a dA's loss, and a
//! monitored dA's clean and validation reconstruction losses), supervised loss (training and
//! validation cross-entropy), and validation accuracy. The x axis is the epoch, from 1.
//!
//! Text is drawn by `ab_glyph` with DejaVu Sans compiled in (`fonts/`, under the Bitstream
//! Vera licence in `fonts/LICENSE-DejaVu`), so no system font library is needed.

use crate::error::{Error, Result};
use crate::picture::encode_png;
use crate::record::TrainingRecord;
use plotters::prelude::*;
use std::sync::Once;

/// DejaVu Sans, registered as plotters' `sans-serif` on first use.
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Pixels of one panel.
const PANEL: (u32, u32) = (520, 380);

/// One curve: its legend and its (epoch, value) points.
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

/// One chart: a title, the y axis's name and its curves.
struct Panel {
    title: &'static str,
    y_label: &'static str,
    series: Vec<Series>,
}

/// The PNG bytes of the record's curves.
///
/// # Errors
/// [`Error::Plot`] when the record has no epoch to draw, or when drawing fails.
pub fn curves_png(record: &TrainingRecord) -> Result<Vec<u8>> {
    let panels = panels(record);
    if panels.is_empty() {
        return Err(plot_error("the training recorded no epoch to plot"));
    }
    register_font();
    let (w, h) = (PANEL.0 * panels.len() as u32, PANEL.1);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let areas = root.split_evenly((1, panels.len()));
        for (area, panel) in areas.iter().zip(&panels) {
            draw_panel(area, panel)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(encode_png(
        w as usize,
        h as usize,
        png::ColorType::Rgb,
        &rgb,
    ))
}

/// The panels the record has figures for.
fn panels(r: &TrainingRecord) -> Vec<Panel> {
    let mut panels = Vec::new();
    let n_layers = r.pretrain.iter().map(|e| e.layer + 1).max().unwrap_or(0);
    let mut pretrain = Vec::new();
    for layer in 0..n_layers {
        let epochs: Vec<_> = r.pretrain.iter().filter(|e| e.layer == layer).collect();
        let curve = |name: String, value: &dyn Fn(usize) -> Option<f64>| Series {
            name,
            points: (0..epochs.len())
                .filter_map(|i| value(i).map(|v| ((epochs[i].epoch + 1) as f64, v)))
                .collect(),
        };
        let l = layer + 1;
        pretrain.push(curve(format!("layer {l}"), &|i| Some(epochs[i].error)));
        pretrain.push(curve(format!("layer {l} clean"), &|i| {
            epochs[i].train_reconstruction
        }));
        pretrain.push(curve(format!("layer {l} validation"), &|i| {
            epochs[i].validation_reconstruction
        }));
    }
    pretrain.retain(|s| !s.points.is_empty());
    if !pretrain.is_empty() {
        panels.push(Panel {
            title: "pretraining",
            y_label: "error per row",
            series: pretrain,
        });
    }
    let x = |e: &crate::record::FinetuneRecord| (e.epoch + 1) as f64;
    let mut loss = vec![Series {
        name: "training".into(),
        points: r.finetune.iter().map(|e| (x(e), e.train_loss)).collect(),
    }];
    loss.push(Series {
        name: "validation".into(),
        points: r
            .finetune
            .iter()
            .filter_map(|e| e.validation_loss.map(|v| (x(e), v)))
            .collect(),
    });
    loss.retain(|s| !s.points.is_empty());
    if !loss.is_empty() {
        panels.push(Panel {
            title: "supervised loss",
            y_label: "cross-entropy",
            series: loss,
        });
    }
    let accuracy: Vec<(f64, f64)> = r
        .finetune
        .iter()
        .filter_map(|e| e.validation_accuracy.map(|a| (x(e), 100.0 * a)))
        .collect();
    if !accuracy.is_empty() {
        panels.push(Panel {
            title: "validation accuracy",
            y_label: "accuracy (%)",
            series: vec![Series {
                name: "validation".into(),
                points: accuracy,
            }],
        });
    }
    panels
}

/// One panel: axes fitted to its points, a line per series, a legend.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
) -> Result<()> {
    let points = panel.series.iter().flat_map(|s| s.points.iter());
    let x_max = points.clone().map(|p| p.0).fold(2.0, f64::max);
    let (lo, hi) = points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        0.5 * lo.abs().max(1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(1.0..x_max, (lo - pad)..(hi + pad))
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        // whole epochs only: at most one label per epoch, printed without decimals
        .x_labels((x_max as usize).clamp(2, 10))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("epoch")
        .y_desc(panel.y_label)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(plot_error)?;
    for (i, series) in panel.series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let line = LineSeries::new(series.points.iter().copied(), color.stroke_width(2));
        chart
            .draw_series(line)
            .map_err(plot_error)?
            .label(series.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            unreachable!("the compiled-in DejaVu Sans is a valid font");
        }
    });
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FinetuneRecord, PretrainRecord};

    fn record(validation: bool) -> TrainingRecord {
        let pretrain = (0..2)
            .flat_map(|layer| {
                (0..3).map(move |epoch| PretrainRecord {
                    layer,
                    epoch,
                    error: 10.0 - epoch as f64,
                    train_reconstruction: None,
                    validation_reconstruction: None,
                    seconds: None,
                })
            })
            .collect();
        let finetune = (0..4)
            .map(|epoch| FinetuneRecord {
                epoch,
                learning_rate: 0.1,
                train_loss: 1.0 / (epoch + 1) as f64,
                validation_loss: validation.then_some(0.5),
                validation_accuracy: validation.then_some(0.8 + 0.01 * epoch as f64),
                best_epoch: None,
                stopped_early: false,
                seconds: None,
            })
            .collect();
        TrainingRecord {
            n_train: 10,
            n_validation: 2,
            pretrain,
            finetune,
            seconds: None,
        }
    }

    /// The width and height a PNG's header gives.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        let reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        (reader.info().width, reader.info().height)
    }

    #[test]
    fn one_panel_per_kind_of_figure_the_record_has() {
        assert_eq!(panels(&record(true)).len(), 3);
        let without = panels(&record(false));
        assert_eq!(without.len(), 2, "no validation: no accuracy panel");
        assert_eq!(without[0].series.len(), 2, "one curve per pretrained layer");
        assert_eq!(
            png_size(&curves_png(&record(true)).unwrap()),
            (3 * PANEL.0, PANEL.1)
        );
    }

    #[test]
    fn a_record_without_epochs_is_an_error() {
        let empty = TrainingRecord::default();
        let e = curves_png(&empty).unwrap_err().to_string();
        assert!(e.contains("no epoch"), "{e}");
    }

    #[test]
    fn text_is_drawn_with_the_compiled_in_font() {
        // a caption drawn where there was none changes pixels: the font works
        register_font();
        let draw = |caption: &str| {
            let mut rgb = vec![255u8; 200 * 60 * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (200, 60)).into_drawing_area();
                let style = ("sans-serif", 20).into_font().color(&BLACK);
                root.draw_text(caption, &style, (5, 5)).unwrap();
                root.present().unwrap();
            }
            rgb.iter().filter(|&&b| b < 128).count()
        };
        assert_eq!(draw(""), 0);
        assert!(draw("epoch") > 20);
    }
}
