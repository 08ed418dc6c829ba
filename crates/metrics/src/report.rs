//! [`Report`]: a confusion matrix with class names, printed as tables.
//!
//! Scores are printed as fractions in [0, 1] with 3 decimals (0.750, not 75.0 %), counts as
//! integers.

use crate::{ConfusionMatrix, Error, Result};
use std::fmt;

/// Width of the score and support columns.
const COL: usize = 9;

/// The row label of the weighted average, the longest fixed row label.
const WEIGHTED: &str = "weighted avg";

/// The top-left cell of the confusion table.
const CORNER: &str = "true \\ predicted";

/// A classification report: per-class precision, recall, F1 and support, the accuracy and the
/// macro and weighted averages, like scikit-learn's `classification_report`.
///
/// `Display` prints the report; [`Report::confusion_table`] prints the counts.
///
/// # Examples
/// ```
/// use layerwise_metrics::{ConfusionMatrix, Report};
/// let cm = ConfusionMatrix::from_labels(&[0, 0, 1, 1], &[0, 1, 1, 1], 2).unwrap();
/// let report = Report::new(&cm, Some(&["cat", "dog"])).unwrap();
/// let text = report.to_string();
/// assert!(text.contains("cat") && text.contains("weighted avg"));
/// assert!(text.contains("0.667")); // precision of dog: 2 / 3
/// assert!(report.confusion_table().contains("dog"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    matrix: ConfusionMatrix,
    names: Vec<String>,
}

impl Report {
    /// A report on `matrix`, its classes named by `names` or, when `None`, by their index.
    ///
    /// # Errors
    /// [`Error::ClassNames`] when `names` does not hold one name per class.
    pub fn new(matrix: &ConfusionMatrix, names: Option<&[&str]>) -> Result<Self> {
        let n_classes = matrix.n_classes();
        let names: Vec<String> = match names {
            Some(names) if names.len() != n_classes => {
                return Err(Error::ClassNames {
                    n_names: names.len(),
                    n_classes,
                });
            }
            Some(names) => names.iter().map(|s| s.to_string()).collect(),
            None => (0..n_classes).map(|c| c.to_string()).collect(),
        };
        Ok(Report {
            matrix: matrix.clone(),
            names,
        })
    }

    /// The confusion matrix reported on.
    pub fn matrix(&self) -> &ConfusionMatrix {
        &self.matrix
    }

    /// The class names, by class index.
    pub fn class_names(&self) -> &[String] {
        &self.names
    }

    /// The counts as a table: one row per true class, one column per predicted class, both
    /// labelled with the class names.
    ///
    /// # Examples
    /// ```
    /// use layerwise_metrics::{ConfusionMatrix, Report};
    /// let cm = ConfusionMatrix::from_labels(&[0, 1, 1], &[0, 0, 1], 2).unwrap();
    /// let table = Report::new(&cm, None).unwrap().confusion_table();
    /// let lines: Vec<&str> = table.lines().collect();
    /// assert_eq!(lines[0], "true \\ predicted  0  1");
    /// assert_eq!(lines[2], "1                 1  1");
    /// ```
    pub fn confusion_table(&self) -> String {
        let n = self.matrix.n_classes();
        let label_width = self.name_width().max(CORNER.chars().count());
        let widths: Vec<usize> = (0..n).map(|p| self.column_width(p)).collect();

        // header: the predicted classes
        let mut out = format!("{CORNER:<label_width$}");
        for (name, w) in self.names.iter().zip(&widths) {
            out.push_str(&format!("  {name:>w$}"));
        }
        out.push('\n');

        // one row per true class
        for (t, name) in self.names.iter().enumerate() {
            out.push_str(&format!("{name:<label_width$}"));
            for (p, w) in widths.iter().enumerate() {
                out.push_str(&format!("  {:>w$}", self.matrix.count(t, p)));
            }
            out.push('\n');
        }
        out
    }

    /// The widest class name, in characters.
    fn name_width(&self) -> usize {
        self.names
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    }

    /// Width of predicted column `p`: its name or its largest count.
    fn column_width(&self, p: usize) -> usize {
        let n = self.matrix.n_classes();
        let widest = (0..n)
            .map(|t| self.matrix.count(t, p).to_string().len())
            .max();
        widest.unwrap_or(1).max(self.names[p].chars().count())
    }

    /// One row of scores: label, precision, recall, F1, support.
    fn score_row(
        f: &mut fmt::Formatter<'_>,
        w: usize,
        label: &str,
        scores: (f64, f64, f64),
        support: usize,
    ) -> fmt::Result {
        let (p, r, f1) = scores;
        writeln!(
            f,
            "{label:>w$} {p:>COL$.3} {r:>COL$.3} {f1:>COL$.3} {support:>COL$}"
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cm = &self.matrix;
        let w = self.name_width().max(WEIGHTED.len());
        let total = cm.total();

        // header
        let head = ["precision", "recall", "f1-score", "support"];
        writeln!(
            f,
            "{:w$} {:>COL$} {:>COL$} {:>COL$} {:>COL$}",
            "", head[0], head[1], head[2], head[3]
        )?;
        writeln!(f)?;

        // per class
        for (c, name) in self.names.iter().enumerate() {
            let scores = (cm.precision(c), cm.recall(c), cm.f1(c));
            Self::score_row(f, w, name, scores, cm.support(c))?;
        }
        writeln!(f)?;

        // accuracy, under the F1 column, then the averages
        let blank = "";
        writeln!(
            f,
            "{:>w$} {blank:>COL$} {blank:>COL$} {:>COL$.3} {total:>COL$}",
            "accuracy",
            cm.accuracy()
        )?;
        let m = cm.macro_average();
        Self::score_row(f, w, "macro avg", (m.precision, m.recall, m.f1), total)?;
        let a = cm.weighted_average();
        Self::score_row(f, w, WEIGHTED, (a.precision, a.recall, a.f1), total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-computed example of the `confusion` tests: class 2 is never predicted.
    fn never_predicted() -> ConfusionMatrix {
        let truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        let predicted = [0, 0, 1, 0, 1, 1, 0, 1, 0, 1];
        ConfusionMatrix::from_labels(&truth, &predicted, 3).unwrap()
    }

    #[test]
    fn display_lays_out_every_row() {
        let cm = never_predicted();
        let text = Report::new(&cm, Some(&["cat", "dog", "bird"]))
            .unwrap()
            .to_string();
        let expected = [
            "             precision    recall  f1-score   support",
            "",
            "         cat     0.600     0.750     0.667         4",
            "         dog     0.400     0.667     0.500         3",
            "        bird     0.000     0.000     0.000         3",
            "",
            "    accuracy                         0.500        10",
            "   macro avg     0.333     0.472     0.389        10",
            "weighted avg     0.360     0.500     0.417        10",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected);
        assert!(text.ends_with('\n'));
        assert!(!text.contains("NaN"));
    }

    #[test]
    fn long_names_widen_the_label_column() {
        let cm = ConfusionMatrix::from_labels(&[0, 1], &[0, 1], 2).unwrap();
        let text = Report::new(&cm, Some(&["T-shirt/top", "a very long class name"])).unwrap();
        let text = text.to_string();
        assert!(text
            .lines()
            .any(|l| l.starts_with("a very long class name     1.000")));
        assert!(text.contains("\n           T-shirt/top     1.000"));
    }

    #[test]
    fn confusion_table_labels_rows_and_columns() {
        let cm = never_predicted();
        let table = Report::new(&cm, Some(&["cat", "dog", "bird"]))
            .unwrap()
            .confusion_table();
        let expected = "\
true \\ predicted  cat  dog  bird
cat                 3    1     0
dog                 1    2     0
bird                1    2     0
";
        assert_eq!(table, expected);
    }

    #[test]
    fn default_names_are_indices() {
        let report = Report::new(&never_predicted(), None).unwrap();
        assert_eq!(report.class_names(), &["0", "1", "2"]);
        assert_eq!(report.matrix().total(), 10);
    }

    #[test]
    fn wrong_number_of_names_is_an_error() {
        let err = Report::new(&never_predicted(), Some(&["a", "b"])).unwrap_err();
        assert_eq!(
            err,
            Error::ClassNames {
                n_names: 2,
                n_classes: 3
            }
        );
        assert_eq!(err.to_string(), "2 class names given for 3 classes");
    }
}
