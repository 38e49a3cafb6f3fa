//! The report's charts as ECharts options, built with charming. Each has a tooltip, named axes
//! and an ARIA description; the page shows the same numbers as tables beside them.

use charming::component::{Axis, Grid, Legend, Title, VisualMap};
use charming::datatype::DataPoint;
use charming::element::{AxisType, Orient, SplitArea, TextStyle, Tooltip, Trigger};
use charming::series::{Bar, Funnel, Heatmap, Line};
use charming::Chart;

use super::{Charts, Report, WEEKDAYS};
use crate::money::Currency;

pub fn all(r: &Report) -> Charts {
    let f = &r.current;
    Charts {
        daily: json(daily(r)),
        heat: json(heat(r)),
        funnel: if f.assignments == 0 && f.activations == 0 {
            json(empty("Nobody was assigned this coupon in this period"))
        } else {
            funnel(r)
        },
        top: json(if r.top.is_empty() { empty("No redemptions in this period") } else { top(r) }),
        batches: json(if r.batches.is_empty() {
            empty("No codes from batches were assigned or redeemed in this period")
        } else {
            batches(r)
        }),
        refusals: json(if r.refusals.is_empty() { empty("No coupon was refused in this period") } else { refusals(r) }),
    }
}

/// A reason code as a short label: `cart_conditions_not_met` → "Cart conditions not met".
pub fn short_reason(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn json(chart: Chart) -> String {
    serde_json::to_string(&chart).unwrap_or_else(|_| "{}".into())
}

/// A chart with nothing to draw says so where the chart would be.
fn empty(message: &str) -> Chart {
    Chart::new().title(
        Title::new()
            .text(message)
            .left("center")
            .top("middle")
            .text_style(TextStyle::new().font_size(13).font_weight("normal").color("#5b6478")),
    )
}

fn base() -> Chart {
    Chart::new().aria(charming::component::Aria::new().enabled(true)).legend(Legend::new().bottom(0))
}

/// The plot area of a chart with axes, leaving room for axis names and the legend.
fn grid() -> Grid {
    Grid::new().left(16).right(24).top(40).bottom(40).contain_label(true)
}

/// Redemptions and reversals per day (bars, left axis) and discount per day (line, right axis,
/// in the main currency's major units).
fn daily(r: &Report) -> Chart {
    let dates: Vec<String> = r.days.iter().map(|d| d.date.format("%b %-d").to_string()).collect();
    let mut chart = base()
        .grid(grid())
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Category).data(dates))
        .y_axis(Axis::new().type_(AxisType::Value).name("Redemptions").min_interval(1))
        .series(Bar::new().name("Redemptions").data(r.days.iter().map(|d| d.redemptions).collect()))
        .series(Bar::new().name("Reversals").data(r.days.iter().map(|d| d.reversals).collect()));
    if let Some(code) = r.currencies.first() {
        let currency = Currency::parse(code);
        let scale = currency.map_or(1.0, |c| 10f64.powi(i32::from(c.exponent())));
        chart = chart.y_axis(Axis::new().type_(AxisType::Value).name(format!("Discount ({code})"))).series(
            Line::new()
                .name(format!("Discount ({code})"))
                .y_axis_index(1)
                .data(r.days.iter().map(|d| d.discount.first().copied().unwrap_or(0) as f64 / scale).collect()),
        );
    }
    chart
}

/// Redemptions by weekday and hour in the period's zone.
fn heat(r: &Report) -> Chart {
    let max = r.heat.iter().flatten().copied().max().unwrap_or(0).max(1);
    let cells: Vec<Vec<DataPoint>> = r
        .heat
        .iter()
        .enumerate()
        .flat_map(|(d, hours)| {
            hours
                .iter()
                .enumerate()
                .map(move |(h, v)| vec![DataPoint::from(h as i64), DataPoint::from(d as i64), DataPoint::from(*v)])
        })
        .collect();
    Chart::new()
        .aria(charming::component::Aria::new().enabled(true))
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .grid(Grid::new().left(56).right(72).top(16).bottom(48))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .name(format!("Hour ({})", r.period.zone))
                .name_location(charming::element::NameLocation::Center)
                .name_gap(28)
                .data((0..24).map(|h| format!("{h:02}")).collect())
                .split_area(SplitArea::new().show(true)),
        )
        .y_axis(
            Axis::new()
                .type_(AxisType::Category)
                .inverse(true)
                .data(WEEKDAYS.iter().map(|d| d.to_string()).collect())
                .split_area(SplitArea::new().show(true)),
        )
        .visual_map(
            VisualMap::new().min(0).max(max as f64).calculable(true).orient(Orient::Vertical).right(0).top("middle"),
        )
        .series(Heatmap::new().name("Redemptions").data(cells))
}

/// Assigned → activated → redeemed, in that order whatever the numbers.
fn funnel(r: &Report) -> String {
    let f = &r.current;
    let chart = Chart::new()
        .aria(charming::component::Aria::new().enabled(true))
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .legend(Legend::new().bottom(0))
        .series(Funnel::new().name("Funnel").min_size("8%").top(16).bottom(40).data(vec![
            (f.assignments as f64, "Assigned"),
            (f.activations as f64, "Activated"),
            (f.unique_redeemers as f64, "Redeemed"),
        ]));
    // charming writes `Sort::None` as null, which ECharts reads as its default, descending.
    let mut option = serde_json::to_value(&chart).unwrap_or_default();
    option["series"][0]["sort"] = serde_json::Value::from("none");
    option.to_string()
}

/// The coupons with the most redemptions in the period.
fn top(r: &Report) -> Chart {
    base()
        .legend(Legend::new().show(false))
        .grid(Grid::new().left(16).right(24).top(16).bottom(48).contain_label(true))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(value_axis_below("Redemptions"))
        .y_axis(
            Axis::new().type_(AxisType::Category).inverse(true).data(r.top.iter().map(|t| t.name.clone()).collect()),
        )
        .series(Bar::new().name("Redemptions").data(r.top.iter().map(|t| t.redemptions).collect()))
}

/// A horizontal value axis named under its middle: a name at its end is cut off by the card.
fn value_axis_below(name: &str) -> Axis {
    Axis::new()
        .type_(AxisType::Value)
        .name(name)
        .name_location(charming::element::NameLocation::Center)
        .name_gap(28)
        .min_interval(1)
}

/// Why coupons were refused, at validate and at redeem, most refusals first.
fn refusals(r: &Report) -> Chart {
    let shown = &r.refusals[..r.refusals.len().min(8)];
    base()
        .grid(Grid::new().left(16).right(24).top(16).bottom(64).contain_label(true))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(value_axis_below("Coupons refused"))
        .y_axis(
            Axis::new()
                .type_(AxisType::Category)
                .inverse(true)
                .data(shown.iter().map(|c| short_reason(&c.reason)).collect()),
        )
        .series(Bar::new().name("At validate").stack("refused").data(shown.iter().map(|c| c.validate).collect()))
        .series(Bar::new().name("At redeem").stack("refused").data(shown.iter().map(|c| c.redeem).collect()))
}

/// Codes of each batch assigned and redeemed in the period.
fn batches(r: &Report) -> Chart {
    base()
        .grid(grid())
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Category).data(r.batches.iter().map(|b| b.label.clone()).collect()))
        .y_axis(Axis::new().type_(AxisType::Value).name("Codes").min_interval(1))
        .series(Bar::new().name("Assigned").data(r.batches.iter().map(|b| b.assigned).collect()))
        .series(Bar::new().name("Redeemed").data(r.batches.iter().map(|b| b.redeemed).collect()))
}
