//! Time expressions in report prose: points ("23:20 UTC on 9 March"), impact windows ("Between
//! 09:00 and 10:48 UTC on 07 Feb 2024") and time zones. Pure: text in, UTC timestamps out.

use std::sync::LazyLock;

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};
use regex::Regex;

const MONTH: &str = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const WEEKDAY: &str =
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+(?:the\s+)?)?";

fn re(pattern: &str) -> Regex {
    super::text::prose_regex(&pattern.replace("MONTH", MONTH).replace("WEEKDAY", WEEKDAY))
}

static DATE_DMY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^WEEKDAY(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+MONTH\b\.?(?:,?\s+(\d{4})\b)?")
});
static DATE_MDY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^WEEKDAYMONTH\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?"));
static DATE_ISO: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{4})-(\d{2})-(\d{2})\b"));
static DATE_US: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,2})/(\d{1,2})/(\d{4})\b"));
static TIME: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?(?:\s*([ap])\.?m\b\.?)?"));
static ZONE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\(?(UTC|GMT|UST|PST|PDT|PT|US/Pacific|Pacific(?: Time)?|EST|EDT|ET|US/Eastern|Eastern(?: Time)?|CST|CDT|MST|MDT|CET|CEST|EET|EEST|WET|WEST|BST|JST|KST|SGT|HKT|AWST|AEST|AEDT|NZST|NZDT|BRT)\)?(?:[^A-Za-z0-9/]|$)",
    )
});
static WEEKDAY_BEFORE_ZONE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+"));
static ZONE_NOTE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\((?:approx\.?|approximately|China Standard Time|local time|[A-Z][a-z]+ (?:Standard|Daylight) Time)\)",
    )
});
static APPROX: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^(?:~\s*|(?:approximately|approx\.?|around|about|roughly|at|by|on)\s+)")
});
static CONNECTOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:,\s*)?(?:and\s+ended\s+at|and\s+(?:again\s+)?(?:until\s+)?|to|until|till|through|thru|-|–|—)\s*",
    )
});
static WINDOW_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:between|from|began\s+at|begin(?:ning)?\s+at|start(?:ed|ing)?\s+at|starting|beginning)\s+",
    )
});
static ALL_TIMES_ARE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)all times are\s*\(?\s*(US/Pacific|US/Eastern|UTC|GMT|PST|PDT|Pacific|Eastern)")
});

/// A time zone as written in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Utc,
    /// A fixed offset in hours from UTC (PST is -8, China Standard Time +8).
    Fixed(i8),
    /// US Pacific time with daylight saving ("US/Pacific", "PT").
    Pacific,
    /// US Eastern time with daylight saving.
    Eastern,
    /// "CST": China Standard Time in reports about Azure China, US Central otherwise.
    Cst,
}

impl Zone {
    pub fn parse(token: &str) -> Option<Zone> {
        Some(match token.trim_matches(|c| c == '(' || c == ')') {
            "UTC" | "GMT" | "UST" => Zone::Utc,
            "PST" => Zone::Fixed(-8),
            "PDT" => Zone::Fixed(-7),
            "EST" => Zone::Fixed(-5),
            "EDT" => Zone::Fixed(-4),
            "CDT" => Zone::Fixed(-5),
            "MST" => Zone::Fixed(-7),
            "MDT" => Zone::Fixed(-6),
            "BRT" => Zone::Fixed(-3),
            "WET" => Zone::Fixed(0),
            "WEST" | "BST" => Zone::Fixed(1),
            "CET" => Zone::Fixed(1),
            "CEST" | "EET" => Zone::Fixed(2),
            "EEST" => Zone::Fixed(3),
            "SGT" | "HKT" | "AWST" => Zone::Fixed(8),
            "JST" | "KST" => Zone::Fixed(9),
            "AEST" => Zone::Fixed(10),
            "AEDT" => Zone::Fixed(11),
            "NZST" => Zone::Fixed(12),
            "NZDT" => Zone::Fixed(13),
            "CST" => Zone::Cst,
            "PT" | "US/Pacific" | "Pacific" | "Pacific Time" => Zone::Pacific,
            "ET" | "US/Eastern" | "Eastern" | "Eastern Time" => Zone::Eastern,
            _ => return None,
        })
    }
}

/// What a report's own text tells about how to read its times.
#[derive(Debug, Clone, Copy)]
pub struct TimeContext {
    /// The zone for times that state none.
    pub default_zone: Zone,
    /// The report is about Azure China, so "CST" is UTC+8.
    pub china: bool,
    /// A date to complete points that give only a time or no year (the report's first date).
    pub reference: Option<Date>,
}

impl Default for TimeContext {
    fn default() -> Self {
        TimeContext {
            default_zone: Zone::Utc,
            china: false,
            reference: None,
        }
    }
}

impl TimeContext {
    /// Read the context from a whole report: its "(all times are US/Pacific)" note, whether it is
    /// about Azure China, and its first full date.
    pub fn of_text(text: &str, default_zone: Zone) -> TimeContext {
        let default_zone = ALL_TIMES_ARE
            .captures(text)
            .and_then(|c| Zone::parse(&c[1]))
            .unwrap_or(default_zone);
        let china = text.contains("Azure China")
            || text.contains("China Standard Time")
            || text.contains("China East")
            || text.contains("China North")
            || text.contains("chinacloud");
        TimeContext {
            default_zone,
            china,
            reference: story_day(text).or_else(|| first_full_date(text)),
        }
    }
}

/// A line near the top that is a date and nothing more, as a publication line dates a report
/// ("Summary of the AWS Service Event in the US East Region" / "July 2, 2012"): its byte range
/// and its date.
fn publication_line(text: &str) -> Option<(std::ops::Range<usize>, Date)> {
    let mut offset = 0;
    for line in text.lines().take(4) {
        let start = offset;
        offset += line.len() + 1;
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let Some((d, len)) = scan_date(l) else {
            continue;
        };
        if len + 1 < l.len() {
            continue;
        }
        let date = Date::new(d.year?, d.month, d.day).ok()?;
        return Some((start..start + line.len(), date));
    }
    None
}

/// The day a report's story happens on, when a publication line dates it and its text then
/// names the day without a year ("last Friday night, June 29th"): that day, in the year that
/// puts it on or up to two weeks before the publication. `None` for a report without such a
/// line, or whose story names no such day.
fn story_day(text: &str) -> Option<Date> {
    let (line, published) = publication_line(text)?;
    let (day, words) = reference_from_file_date(&text[line.end..], published);
    let days = published.since(day).ok()?.get_days();
    (words.is_some() && (0..=14).contains(&days)).then_some(day)
}

/// A calendar date as written; the year may be missing ("9 March").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateParts {
    pub year: Option<i16>,
    pub month: i8,
    pub day: i8,
}

/// A point in time as written: any of date, time and zone may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Point {
    pub date: Option<DateParts>,
    pub time: Option<(i8, i8)>,
    /// The seconds of a time written to the second ("23:49:49"), else 0.
    pub second: i8,
    pub zone: Option<Zone>,
}

impl Point {
    /// The point as a person reads it: "the time 10:30 UTC".
    pub fn describe(&self) -> String {
        let zone = match self.zone {
            None => String::new(),
            Some(Zone::Utc) => " UTC".into(),
            Some(Zone::Fixed(h)) => format!(" UTC{h:+}"),
            Some(Zone::Pacific) => " US Pacific time".into(),
            Some(Zone::Eastern) => " US Eastern time".into(),
            Some(Zone::Cst) => " CST".into(),
        };
        match self.time {
            Some((h, m)) => format!("the time {h:02}:{m:02}{zone}"),
            None => "a time".into(),
        }
    }
}

fn month_number(name: &str) -> Option<i8> {
    let n = name.to_ascii_lowercase();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    months
        .iter()
        .position(|m| n.starts_with(m))
        .map(|i| i as i8 + 1)
}

/// A date at the start of `s`, with the number of bytes it takes.
pub fn scan_date(s: &str) -> Option<(DateParts, usize)> {
    if let Some(c) = DATE_ISO.captures(s) {
        let d = DateParts {
            year: c[1].parse().ok(),
            month: c[2].parse().ok()?,
            day: c[3].parse().ok()?,
        };
        return Some((d, c[0].len()));
    }
    if let Some(c) = DATE_US.captures(s) {
        let d = DateParts {
            year: c[3].parse().ok(),
            month: c[1].parse().ok()?,
            day: c[2].parse().ok()?,
        };
        return Some((d, c[0].len()));
    }
    if let Some(c) = DATE_DMY.captures(s) {
        let d = DateParts {
            year: c.get(3).and_then(|y| y.as_str().parse().ok()),
            month: month_number(&c[2])?,
            day: c[1].parse().ok()?,
        };
        return Some((d, c[0].len()));
    }
    if let Some(c) = DATE_MDY.captures(s) {
        // "May 5" is a date, "may 5" in prose ("may 50 requests") is not.
        if c[1].starts_with("may") {
            return None;
        }
        let d = DateParts {
            year: c.get(3).and_then(|y| y.as_str().parse().ok()),
            month: month_number(&c[1])?,
            day: c[2].parse().ok()?,
        };
        return Some((d, c[0].len()));
    }
    None
}

/// A clock time at the start of `s`: "23:20", "4:00PM", "11:05am", "10 PM", "23:49:49"; as
/// (hour, minute), its length and its seconds. A bare number is a time only with am/pm.
fn scan_time(s: &str) -> Option<((i8, i8), usize, i8)> {
    let c = TIME.captures(s)?;
    let mut hour: i8 = c[1].parse().ok()?;
    let minute: i8 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
    let second: i8 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
    if second > 59 {
        return None;
    }
    let meridiem = c.get(4).map(|m| m.as_str().to_ascii_lowercase());
    if c.get(2).is_none() && meridiem.is_none() {
        return None;
    }
    // "12:30 2024" style digits running on are not times.
    if s[c[0].len()..].starts_with(|ch: char| ch.is_ascii_digit()) {
        return None;
    }
    match meridiem.as_deref() {
        Some("p") if hour < 12 => hour += 12,
        Some("a") if hour == 12 => hour = 0,
        _ => {}
    }
    Some(((hour, minute), c[0].len(), second))
}

fn scan_zone(s: &str) -> Option<(Zone, usize)> {
    let c = ZONE.captures(s)?;
    let token = c.get(1)?;
    let mut len = token.end();
    if s[len..].starts_with(')') {
        len += 1;
    }
    Some((Zone::parse(token.as_str())?, len))
}

fn skip_ws(s: &str, i: usize) -> usize {
    i + (s[i..].len() - s[i..].trim_start().len())
}

/// A point at the start of `s` (after optional "approximately", "~", "at"), with its length.
///
/// Shapes: `23:20 UTC on 9 March`, `4:00PM PST, February 28th`, `21 January 2024 @ 01:30 UTC`,
/// `2015-08-12 11:05`, `03:45 CST`, `10:25 PM PDT on June 4th`.
pub fn scan_point(s: &str) -> Option<(Point, usize)> {
    let mut i = skip_ws(s, 0);
    if let Some(m) = APPROX.find(&s[i..]) {
        i += m.end();
    }
    let start = i;
    let mut p = Point::default();
    if let Some((d, n)) = scan_date(&s[i..]) {
        p.date = Some(d);
        i += n;
        let j = skip_ws(s, i);
        let rest = &s[j..];
        let rest_trim = rest.trim_start_matches([',', '@']).trim_start();
        let rest_trim = rest_trim.strip_prefix("at ").unwrap_or(rest_trim);
        let rest_trim = APPROX
            .find(rest_trim)
            .map_or(rest_trim, |m| &rest_trim[m.end()..]);
        if let Some((t, n, second)) = scan_time(rest_trim) {
            p.time = Some(t);
            p.second = second;
            i = j + (rest.len() - rest_trim.len()) + n;
            let k = skip_ws(s, i);
            if let Some((z, n)) = scan_zone(&s[k..]) {
                p.zone = Some(z);
                i = k + n;
            }
        }
        return Some((p, i));
    }
    let (t, n, second) = scan_time(&s[i..])?;
    p.time = Some(t);
    p.second = second;
    i += n;
    let k = skip_ws(s, i);
    if let Some((z, n)) = scan_zone(&s[k..]) {
        p.zone = Some(z);
        i = k + n;
    } else if let Some(day) = WEEKDAY_BEFORE_ZONE.find(&s[k..])
        && let Some((z, n)) = scan_zone(&s[k + day.end()..])
    {
        // "10:52 pm Sunday UTC".
        p.zone = Some(z);
        i = k + day.end() + n;
    }
    // A note after the zone: "CST (China Standard Time)", "UTC (approx.)".
    let k = skip_ws(s, i);
    if let Some(m) = ZONE_NOTE.find(&s[k..]) {
        i = k + m.end();
    }
    // Then an optional date: " on 9 March", ", February 28th", " on the 10 Dec 2016".
    let k = skip_ws(s, i);
    let rest = &s[k..];
    let after = rest
        .strip_prefix("on ")
        .or_else(|| rest.strip_prefix("On "))
        .or_else(|| rest.strip_prefix(", "))
        .unwrap_or(rest);
    let after = after.strip_prefix("the ").unwrap_or(after);
    let after_trim = after.trim_start();
    if let Some((d, n)) = scan_date(after_trim) {
        p.date = Some(d);
        i = k + (rest.len() - after_trim.len()) + n;
    }
    if i == start {
        return None;
    }
    Some((p, i))
}

/// An impact window found in prose, with where it stands in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowMatch {
    pub start: Point,
    pub end: Option<Point>,
    pub offset: usize,
}

/// Every "between A and B" / "from A to B" / "began at A and ended at B" / "starting at A" in
/// the text, in order. A point without a date is completed from the latest date written before it.
pub fn find_windows(text: &str) -> Vec<WindowMatch> {
    let mut out = Vec::new();
    for kw in WINDOW_KEYWORD.find_iter(text) {
        let s = &text[kw.end()..];
        let Some((a, n)) = scan_point(s) else {
            continue;
        };
        if a.time.is_none() {
            continue;
        }
        let rest = &s[n..];
        let end = CONNECTOR.find(rest).and_then(|c| {
            let (b, _) = scan_point(&rest[c.end()..])?;
            b.time.is_some().then_some(b)
        });
        let keyword = kw.as_str().to_ascii_lowercase();
        // "from 10:00" with nothing after reads as a start only when the keyword says so.
        if end.is_none() && (keyword.starts_with("between") || keyword.starts_with("from")) {
            continue;
        }
        out.push(WindowMatch {
            start: a,
            end,
            offset: kw.start(),
        });
    }
    out
}

/// The first date in the text that has a year: the report's reference date.
pub fn first_full_date(text: &str) -> Option<Date> {
    dates(text).find_map(|(_, d)| {
        let year = d.year?;
        Date::new(year, d.month, d.day).ok()
    })
}

/// The date a file's name starts with: "20180129-MediaWiki.txt", "2009-10-30-post-mortem.txt",
/// "2019-11-20_HLMF-R88.html".
pub fn date_of_file_name(path: &std::path::Path) -> Option<Date> {
    static NAMED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^((?:19|20)\d{2})-?(\d{2})-?(\d{2})(?:[-_.\s]|$)").expect("valid regex")
    });
    let stem = path.file_name()?.to_str()?;
    let c = NAMED.captures(stem)?;
    Date::new(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?).ok()
}

/// The date a report that states no year is read on, from the date it was published (a blog
/// post's file name: the incident is on it or before it): the text's first date
/// without a year in the year that puts it on or before the file's date ("Wednesday, January
/// 8th" in a post saved on 2014-01-18 is 2014-01-08), else the file's date itself. Returns the
/// date and the words it was read from, for the warning.
pub fn reference_from_file_date(text: &str, file_date: Date) -> (Date, Option<String>) {
    let yearless = dates(text).find_map(|(at, d)| {
        if d.year.is_some() {
            return None;
        }
        let year = file_date.year();
        let same_year = Date::new(year, d.month, d.day).ok()?;
        let date = if same_year > file_date {
            Date::new(year - 1, d.month, d.day).ok()?
        } else {
            same_year
        };
        let (_, len) = scan_date(&text[at..])?;
        Some((date, text[at..at + len].trim().to_string()))
    });
    match yearless {
        Some((date, words)) => (date, Some(words)),
        None => (file_date, None),
    }
}

/// Every date written in the text, with its byte offset.
pub fn dates_with_offsets(text: &str) -> Vec<(usize, DateParts)> {
    // A publication line dates the report, not its story, when the story names its own day.
    let published = publication_line(text)
        .filter(|_| story_day(text).is_some())
        .map(|(line, _)| line);
    dates(text)
        .filter(|(at, _)| published.as_ref().is_none_or(|line| !line.contains(at)))
        .collect()
}

/// The dates of a text, lazily: one linear regex pass finds where a date may start, and the
/// date readers run only there.
fn dates(text: &str) -> impl Iterator<Item = (usize, DateParts)> + '_ {
    static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?MONTH|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s|MONTH\.?\s+\d)",
        )
    });
    CANDIDATE
        .find_iter(text)
        .filter_map(|m| scan_date(&text[m.start()..]).map(|(d, _)| (m.start(), d)))
}

/// Why a point could not become a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{0} has no date, and none comes before it in the text")]
    NoDate(String),
    #[error("no such date: {0}")]
    BadDate(String),
    #[error("no such time: {0:02}:{1:02}")]
    BadTime(i8, i8),
}

/// The date a point means: its own, else `fallback`, else the report's (the context's reference
/// date); a missing year comes from `fallback` or the reference date.
pub fn resolve_date(
    p: &Point,
    fallback: Option<DateParts>,
    ctx: &TimeContext,
) -> Result<Date, TimeError> {
    // A time without a date takes the date of its sentence or paragraph (`fallback`), else
    // the report's own.
    let report_date = ctx.reference.map(|r| DateParts {
        year: Some(r.year()),
        month: r.month(),
        day: r.day(),
    });
    let d = p
        .date
        .or(fallback)
        .or(report_date)
        .ok_or_else(|| TimeError::NoDate(p.describe()))?;
    let year = d
        .year
        .or(fallback.and_then(|f| f.year))
        .or(ctx.reference.map(|r| r.year()))
        .ok_or_else(|| TimeError::NoDate(format!("{}/{} without a year", d.day, d.month)))?;
    Date::new(year, d.month, d.day)
        .map_err(|_| TimeError::BadDate(format!("{year}-{:02}-{:02}", d.month, d.day)))
}

/// The instant of a point on `date`: its time (midnight without one) and seconds, in its zone,
/// else `zone`.
pub fn point_timestamp(
    date: Date,
    point: &Point,
    zone: Zone,
    ctx: &TimeContext,
) -> Result<Timestamp, TimeError> {
    let at = to_timestamp(
        date,
        point.time.unwrap_or((0, 0)),
        point.zone.unwrap_or(zone),
        ctx,
    )?;
    Ok(at + jiff::SignedDuration::from_secs(i64::from(point.second)))
}

/// A time of day on a known date as a UTC timestamp, in `zone`.
pub fn to_timestamp(
    date: Date,
    time: (i8, i8),
    zone: Zone,
    ctx: &TimeContext,
) -> Result<Timestamp, TimeError> {
    let (h, m) = time;
    if !(0..=24).contains(&h) || !(0..=59).contains(&m) || (h == 24 && m != 0) {
        return Err(TimeError::BadTime(h, m));
    }
    let (date, h) = if h == 24 {
        (date.tomorrow().map_err(|_| TimeError::BadTime(h, m))?, 0)
    } else {
        (date, h)
    };
    let dt = DateTime::from_parts(
        date,
        jiff::civil::Time::new(h, m, 0, 0).map_err(|_| TimeError::BadTime(h, m))?,
    );
    let tz = match zone {
        Zone::Utc => TimeZone::UTC,
        Zone::Fixed(h) => TimeZone::fixed(Offset::constant(h)),
        Zone::Cst => TimeZone::fixed(Offset::constant(if ctx.china { 8 } else { -6 })),
        Zone::Pacific => {
            TimeZone::get("America/Los_Angeles").unwrap_or(TimeZone::fixed(Offset::constant(-8)))
        }
        Zone::Eastern => {
            TimeZone::get("America/New_York").unwrap_or(TimeZone::fixed(Offset::constant(-5)))
        }
    };
    tz.to_timestamp(dt).map_err(|_| TimeError::BadTime(h, m))
}

/// An impact window in UTC; `end` is `None` when the text gives only a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// Resolve a window: each side borrows the date, year and zone the other side states, then the
/// latest date written before the window, then the context. "Between 23:00 and 01:00 UTC on 10
/// March" starts on 9 March.
pub fn resolve_window(w: &WindowMatch, text: &str, ctx: &TimeContext) -> Result<Window, TimeError> {
    let before = dates_with_offsets(&text[..w.offset])
        .into_iter()
        .rev()
        .find(|(_, d)| d.year.is_some())
        .map(|(_, d)| d);
    let end_date_parts = w.end.and_then(|e| e.date);
    let zone_a = w
        .start
        .zone
        .or(w.end.and_then(|e| e.zone))
        .unwrap_or(ctx.default_zone);
    let fallback_a = end_date_parts.or(before);
    let date_a = resolve_date(&w.start, fallback_a, ctx)?;
    let start_time = w.start.time.unwrap_or((0, 0));
    let a_borrowed_end_date = w.start.date.is_none() && end_date_parts.is_some();
    let mut start = to_timestamp(date_a, start_time, zone_a, ctx)?;
    let end = match w.end {
        None => None,
        Some(e) => {
            let zone_b = e.zone.or(w.start.zone).unwrap_or(ctx.default_zone);
            let a_parts = DateParts {
                year: Some(date_a.year()),
                month: date_a.month(),
                day: date_a.day(),
            };
            let date_b = resolve_date(&e, Some(a_parts), ctx)?;
            let end = to_timestamp(date_b, e.time.unwrap_or((0, 0)), zone_b, ctx)?;
            if a_borrowed_end_date && end < start {
                // The start took the end's date but is the evening before.
                start = to_timestamp(
                    date_a.yesterday().map_err(|_| TimeError::BadTime(0, 0))?,
                    start_time,
                    zone_a,
                    ctx,
                )?;
            } else if e.date.is_none() && end < start {
                // "from 23:10 to 01:05": the end is past midnight.
                return Ok(Window {
                    start,
                    end: Some(end + 24.hours()),
                });
            }
            Some(end)
        }
    };
    Ok(Window { start, end })
}

/// A point that opens a timeline line ("00:05 UTC on 13 July 2024 – ...", "21 January 2024 @
/// 01:30 UTC – ...", "~04:33 UTC ...", "Between 03:41 and 12:15 UTC on 19 July 2024 – ..."),
/// with the rest of the line.
pub fn leading_point(line: &str) -> Option<(Point, &str)> {
    let l = line.trim_start();
    let body = l
        .strip_prefix("Between ")
        .or_else(|| l.strip_prefix("between "))
        .or_else(|| l.strip_prefix("From "))
        .or_else(|| l.strip_prefix("At "))
        .or_else(|| l.strip_prefix("["))
        .unwrap_or(l);
    let (p, n) = scan_point(body)?;
    p.time?;
    let mut rest = &body[n..];
    if let Some(c) = CONNECTOR.find(rest) {
        // A range: keep the start, skip the end point.
        if let Some((end, m)) = scan_point(&rest[c.end()..]) {
            let mut p = p;
            if p.date.is_none() {
                p.date = end.date;
            }
            if p.zone.is_none() {
                p.zone = end.zone;
            }
            rest = &rest[c.end() + m..];
            return Some((p, strip_separator(rest)));
        }
    }
    Some((p, strip_separator(rest)))
}

fn strip_separator(s: &str) -> &str {
    s.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | '—' | ':' | ',' | ']' | '|' | '>')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_file_names() {
        use std::path::Path;
        let d = |p: &str| date_of_file_name(Path::new(p)).map(|d| d.to_string());
        assert_eq!(
            d("wikimedia/20180129-MediaWiki.txt").as_deref(),
            Some("2018-01-29")
        );
        assert_eq!(
            d("github/2009-10-30-post-mortem.txt").as_deref(),
            Some("2009-10-30")
        );
        assert_eq!(
            d("azure/2019-11-20_HLMF-R88.html").as_deref(),
            Some("2019-11-20")
        );
        assert_eq!(d("aws/2011-04-29.txt").as_deref(), Some("2011-04-29"));
        assert_eq!(d("gcp/appengine_15020.txt"), None);
        assert_eq!(d("x/20181399-bad.txt"), None);
        assert_eq!(d("x/123456789-id.txt"), None);
    }

    #[test]
    fn a_report_without_a_year_is_read_in_its_file_dates_year() {
        let file = Date::constant(2014, 1, 18);
        let read = |text: &str| {
            let (d, words) = reference_from_file_date(text, file);
            (d.to_string(), words)
        };
        assert_eq!(
            read("Last week on Wednesday, January 8th, GitHub experienced an outage."),
            ("2014-01-08".into(), Some("Wednesday, January 8th".into()))
        );
        // A date after the file's is the year before: a post of January about December.
        assert_eq!(read("On December 23rd the site was down.").0, "2013-12-23");
        // No date at all: the file's.
        assert_eq!(
            read("This morning the site was down."),
            ("2014-01-18".into(), None)
        );
    }

    #[test]
    fn a_report_dated_by_its_publication_line_tells_the_day_its_story_names() {
        let text = "Summary of the AWS Service Event in the US East Region\nJuly 2, 2012\n\n\
                    We'd like to share more about the disruption of last Friday night, June 29th. \
                    On May 12th of this year, we tested the generators.";
        assert_eq!(story_day(text), Some(Date::constant(2012, 6, 29)));
        let ctx = TimeContext::of_text(text, Zone::Pacific);
        assert_eq!(ctx.reference, Some(Date::constant(2012, 6, 29)));
        // The publication line is not a date "written before" the story's times.
        assert!(
            dates_with_offsets(text)
                .iter()
                .all(|(_, d)| d.year.is_none())
        );
        // A story that names only a day long before its publication keeps the publication's.
        let old = "Summary\nJuly 2, 2012\n\nOn May 12th we tested the generators.";
        assert_eq!(story_day(old), None);
        assert_eq!(
            TimeContext::of_text(old, Zone::Pacific).reference,
            Some(Date::constant(2012, 7, 2))
        );
        // A date inside a sentence is no publication line.
        assert_eq!(
            story_day("On July 2, 2012 we saw errors.\nOn June 29th too."),
            None
        );
    }

    #[test]
    fn the_zones_of_regions_outside_the_us_are_read() {
        for (token, hours) in [("KST", 9), ("JST", 9), ("SGT", 8), ("BST", 1), ("BRT", -3)] {
            assert_eq!(Zone::parse(token), Some(Zone::Fixed(hours)), "{token}");
            assert!(ZONE.is_match(&format!("{token}, EC2 instances")), "{token}");
        }
    }

    #[test]
    fn a_time_without_a_date_is_said_in_words() {
        let ctx = TimeContext::of_text("At 10:30 UTC errors began.", Zone::Utc);
        let p = Point {
            date: None,
            time: Some((10, 30)),
            second: 0,
            zone: Some(Zone::Utc),
        };
        let e = resolve_date(&p, None, &ctx).unwrap_err().to_string();
        assert_eq!(
            e,
            "the time 10:30 UTC has no date, and none comes before it in the text"
        );
    }

    fn window(text: &str) -> Window {
        let ctx = TimeContext::of_text(text, Zone::Utc);
        let w = find_windows(text).into_iter().next().expect("a window");
        resolve_window(&w, text, &ctx).expect("resolves")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn windows_in_the_shapes_the_corpus_uses() {
        let w =
            window("Between 23:20 UTC on 9 March and 19:32 UTC on 10 March 2026, a platform issue");
        assert_eq!(
            (w.start, w.end),
            (ts("2026-03-09T23:20:00Z"), Some(ts("2026-03-10T19:32:00Z")))
        );
        let w = window(
            "Summary of Impact: Between 09:00 and 10:48 UTC on 07 Feb 2024 (first occurrence)",
        );
        assert_eq!(
            (w.start, w.end),
            (ts("2024-02-07T09:00:00Z"), Some(ts("2024-02-07T10:48:00Z")))
        );
        let w =
            window("in the Australia East region, between 0:55 UTC and 06:28 UTC on 12 July 2024.");
        assert_eq!(
            (w.start, w.end),
            (ts("2024-07-12T00:55:00Z"), Some(ts("2024-07-12T06:28:00Z")))
        );
        let w = window(
            "Between 18:03 UTC on 02 February 2026 and approximately 00:30 UTC on 03 February 2026, a",
        );
        assert_eq!(w.end, Some(ts("2026-02-03T00:30:00Z")));
        let w = window("Between 05:15 and 05:53 on 26 Nov 2016, a subset");
        assert_eq!(w.start, ts("2016-11-26T05:15:00Z"));
    }

    #[test]
    fn china_standard_time_in_azure_china_reports_and_us_central_elsewhere() {
        let text = "Between 03:45 CST and 06:00 CST on 23 Apr 2024, ... in the Azure China regions";
        assert_eq!(window(text).start, ts("2024-04-22T19:45:00Z"));
        let text = "Between 03:45 CST and 06:00 CST on 23 Apr 2024, customers in Central US";
        assert_eq!(window(text).start, ts("2024-04-23T09:45:00Z"));
    }

    #[test]
    fn pacific_time_follows_daylight_saving() {
        let text = "Incident began at 2015-08-12 11:05 and ended at 2015-08-12 11:46 (all times are US/Pacific ).";
        let w = window(text);
        assert_eq!(
            (w.start, w.end),
            (ts("2015-08-12T18:05:00Z"), Some(ts("2015-08-12T18:46:00Z")))
        );
        let text = "Incident began at 2016-01-12 11:05 and ended at 2016-01-12 11:46 (all times are US/Pacific ).";
        assert_eq!(window(text).start, ts("2016-01-12T19:05:00Z"));
    }

    #[test]
    fn a_window_takes_its_date_from_the_sentence_before() {
        let text =
            "On Wednesday, 12 August 2015 from 11:05am to 11:45am PDT, the Search API service";
        let w = window(text);
        assert_eq!(
            (w.start, w.end),
            (ts("2015-08-12T18:05:00Z"), Some(ts("2015-08-12T18:45:00Z")))
        );
    }

    #[test]
    fn notes_after_the_zone_and_an_article_before_the_date() {
        // Oddities of ../shared/corpus/azure: 2024-10-22_0MMR-5V0, 2019-10-16_0_0D-VP8, 2016-12-11_rca-...
        let w = window(
            "Starting at 12:30 CST (China Standard Time) on 22 October 2024, Microsoft identified",
        );
        assert_eq!(w.start, ts("2024-10-22T04:30:00Z"));
        let w =
            window("Between 13:45 and 14:59 UTC (approx.) on 16 Oct 2019, a subset of customers");
        assert_eq!(w.end, Some(ts("2019-10-16T14:59:00Z")));
        let w = window(
            "Between 22:29 and 23:45 UTC on the 10 Dec 2016, customers in the West Europe region",
        );
        assert_eq!(w.start, ts("2016-12-10T22:29:00Z"));
    }

    #[test]
    fn an_evening_start_before_a_dated_end_is_the_day_before() {
        let w = window("between 23:10 and 01:05 UTC on 10 March 2024");
        assert_eq!(w.start, ts("2024-03-09T23:10:00Z"));
    }

    #[test]
    fn a_weekday_between_time_and_zone() {
        let (p, _) = scan_point("10:52 pm Sunday UTC, multiple services").unwrap();
        assert_eq!(
            (p.time, p.zone, p.date),
            (Some((22, 52)), Some(Zone::Utc), None)
        );
    }

    #[test]
    fn leading_points_of_timeline_lines() {
        let (p, rest) =
            leading_point("21 January 2024 @ 01:30 UTC – Initial customer impact").unwrap();
        assert_eq!(p.time, Some((1, 30)));
        assert_eq!(rest, "Initial customer impact");
        let (p, rest) =
            leading_point("~04:33 UTC on 13 July 2024 – Service partially restored").unwrap();
        assert_eq!((p.time, p.date.unwrap().day), (Some((4, 33)), 13));
        assert_eq!(rest, "Service partially restored");
        let (p, _) =
            leading_point("Between 03:41 and 12:15 UTC on 19 July 2024 – Services recovered")
                .unwrap();
        assert_eq!(
            (p.time, p.zone, p.date.unwrap().day),
            (Some((3, 41)), Some(Zone::Utc), 19)
        );
        let (p, _) = leading_point("4:00PM PST, February 28th (00:00 UST February 29th)").unwrap();
        assert_eq!(
            (p.time, p.zone, p.date.unwrap().month),
            (Some((16, 0)), Some(Zone::Fixed(-8)), 2)
        );
        assert!(leading_point("GPT-4 recovered in all regions").is_none());
        assert!(leading_point("99.9% of requests").is_none());
    }

    #[test]
    fn impossible_dates_and_times_are_errors_not_panics() {
        let ctx = TimeContext::default();
        let p = scan_point("10:00 UTC on 31 February 2024").unwrap().0;
        assert!(matches!(
            resolve_date(&p, None, &ctx),
            Err(TimeError::BadDate(_))
        ));
        let d = Date::new(2024, 1, 1).unwrap();
        assert!(matches!(
            to_timestamp(d, (25, 99), Zone::Utc, &ctx),
            Err(TimeError::BadTime(25, 99))
        ));
    }

    #[test]
    fn prose_that_only_looks_like_time_is_not_a_window() {
        assert!(find_windows("between 30-40 minutes for the delete to complete").is_empty());
        assert!(find_windows("from the start of the incident").is_empty());
    }
}
