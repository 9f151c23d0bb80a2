//! Repair items from a review's repair section: one per bullet, with the status marker
//! ("(Completed)", "(Estimated completion: August 2024)") read and removed; and, for reports
//! that keep them in prose, one per sentence that commits to a change. Pure.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use super::text::{bullet, prose_sentences, squash};
use crate::incident::{DueMonth, RepairItem, ReportedStatus};

/// A status written after the item: "(Completed)", "Add geographic redundancy … – Complete.",
/// "Substitute pt-kill … Done, it is an always ongoing task" (a task list saved as text).
static COMPLETED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i:\s*[(\[]\s*(?:completed?|done|finished|implemented)\s*[)\]]\s*\.?\s*$)",
        r"|\s+[–-]\s*(?i:complete|completed|done)\.?\s*$",
        r"|[a-z)] (?:Done|Completed|Fixed)(?:[,.;]|$)",
    ))
    .expect("valid regex")
});
static ESTIMATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:\s*[(\[]\s*(?:estimated completion(?: date)?|eta|target(?:ed)? completion|expected completion|due)\s*[:\-]?\s*([^()\[\]]*)[)\]]",
        r"|\s*(?:estimated completion(?: date)?|eta|due)\s*:\s*([^()\[\]]*))\s*\.?\s*$"
    ))
    .expect("valid regex")
});
static MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+(\d{4})\b|\b(\d{4})-(\d{2})(?:-\d{2})?\b|\b(?:Q([1-4])\s*(?:CY)?\s*(\d{4})|(?:CY)?(\d{4})\s*Q([1-4]))\b")
        .expect("valid regex")
});
static CLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,2}:\d{2}\b").expect("valid regex"));
/// A line that opens on a time or a day tells what happened: "At 23:50 PST on Monday …".
static NARRATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:at|by|on|from|around|until)\s+(?:\d|(?:mon|tues|wednes|thurs|fri|satur|sun)day\b)")
        .expect("valid regex")
});
static CHECKBOX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([ xX])\]\s*").expect("valid regex"));

/// Bullets and lines that are not promises: customer guidance, notes about the review process,
/// apologies, and the "Prevention – how the system can ..." definitions of a blog post.
fn is_not_an_item(text: &str) -> bool {
    static NOT_ITEM: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(concat!(
            r"(?i)^(?:we (?:sincerely )?apologi[sz]e|we are continuously taking steps|in this case,? this includes",
            r"|our team will be completing an internal retrospective|to get notified|for more information on post incident reviews",
            r"|the impact times above|finally, for broader guidance|stay informed|provide feedback|please help us improve",
            r"|you can rate this|\w+(?: \w+)? [–-] how (?:the|to|we)\b",
            // "Engineers will continue to investigate to establish the full root cause": the
            // review's own work, not a change (Azure's preliminary entries end so).
            r"|(?:\w+ )?(?:engineers|we|teams?) (?:will continue|are continuing) (?:to |their )?investigat",
            // Google Cloud's notices close with it before any review exists.
            r"|we (?:will conduct|are conducting|have conducted) (?:a|an) (?:thorough |full |detailed |internal )*investigation",
            r"|.*\bapologi[sz]e\b)",
        ))
    });
    let t = text.trim();
    t.len() < 12 || NOT_ITEM.is_match(t) || t.contains("Azure Service Health alerts")
}

/// The month a quarter ends in.
fn quarter_end(q: &str, year: &str) -> Option<DueMonth> {
    Some(DueMonth {
        year: year.parse().ok()?,
        month: q.parse::<i8>().ok()? * 3,
    })
}

/// Due months in a marker such as "August 2024", "February 2024 and May 2024", "Q3 2024".
pub fn due_months(marker: &str) -> Vec<DueMonth> {
    let mut out = Vec::new();
    for c in MONTH_YEAR.captures_iter(marker) {
        let due = if let (Some(m), Some(y)) = (c.get(1), c.get(2)) {
            let months = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ];
            let lower = m.as_str().to_ascii_lowercase();
            months
                .iter()
                .position(|p| lower.starts_with(p))
                .and_then(|i| {
                    Some(DueMonth {
                        year: y.as_str().parse().ok()?,
                        month: i as i8 + 1,
                    })
                })
        } else if let (Some(y), Some(m)) = (c.get(3), c.get(4)) {
            format!("{}-{}", y.as_str(), m.as_str()).parse().ok()
        } else if let (Some(q), Some(y)) = (c.get(5), c.get(6)) {
            quarter_end(q.as_str(), y.as_str())
        } else if let (Some(y), Some(q)) = (c.get(7), c.get(8)) {
            quarter_end(q.as_str(), y.as_str())
        } else {
            None
        };
        out.extend(due.filter(|d| !out.contains(d)));
    }
    out
}

/// Read a bullet's status marker: the text without it, the status and the due months.
pub fn read_marker(text: &str) -> (String, ReportedStatus, Vec<DueMonth>) {
    // Wikimedia's task lists: "Status: Unresolved Automate checks … ( )", "Status: Done -
    // Investigate …", the empty
    // parentheses where a task link was.
    static STATUS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^status:\s*(resolved|done|fixed|completed?|unresolved|open|declined|invalid|stalled|on-?going|pending|in progress)(?:\s*[-–:]\s*|\s+)")
            .expect("valid regex")
    });
    let text = squash(text);
    let text = text.trim_end_matches("( )").trim_end().to_string();
    if let Some(c) = STATUS_LABEL.captures(&text) {
        let rest = text[c[0].len()..].to_string();
        let done = matches!(
            c[1].to_ascii_lowercase().as_str(),
            "resolved" | "done" | "fixed" | "complete" | "completed"
        );
        let (rest, status, due) = read_marker(&rest);
        return (
            rest,
            if done {
                ReportedStatus::Completed
            } else {
                status
            },
            due,
        );
    }
    if let Some(c) = CHECKBOX.captures(&text) {
        let done = !c[1].trim().is_empty();
        let rest = text[c[0].len()..].to_string();
        let (rest, status, due) = read_marker(&rest);
        let status = if done {
            ReportedStatus::Completed
        } else {
            status
        };
        return (rest, status, due);
    }
    if let Some(m) = COMPLETED.find(&text) {
        // "… leaks Done, …": the match starts on the item's last letter.
        let end = m.start()
            + usize::from(
                text[m.start()..].starts_with(|c: char| c.is_ascii_lowercase() || c == ')'),
            );
        return (
            text[..end].trim().to_string(),
            ReportedStatus::Completed,
            Vec::new(),
        );
    }
    // "Method of Procedure (MoP) detailed review … – in progress": a status after the item.
    static TRAILING_OPEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s+[–-]\s*(?:in progress|on-?going|pending|underway)\.?\s*$")
            .expect("valid regex")
    });
    if let Some(m) = TRAILING_OPEN.find(&text) {
        return (
            text[..m.start()].trim().to_string(),
            ReportedStatus::None,
            Vec::new(),
        );
    }
    // "Continue to expand coverage of the Backup authentication service – July 2022".
    static TRAILING_DUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\.?\s+[–-]\s*((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}|q[1-4]\s*(?:cy)?\s*\d{4})\.?\s*$")
            .expect("valid regex")
    });
    if let Some(c) = TRAILING_DUE.captures(&text) {
        let due = due_months(&c[1]);
        if !due.is_empty() {
            let at = c.get(0).expect("group 0").start();
            return (
                text[..at].trim().to_string(),
                ReportedStatus::Estimated,
                due,
            );
        }
    }
    if let Some(c) = ESTIMATED.captures(&text) {
        let whole = c.get(0).expect("group 0");
        let marker = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
        let due = due_months(marker);
        let status = if due.is_empty() {
            ReportedStatus::Tbd
        } else {
            ReportedStatus::Estimated
        };
        return (text[..whole.start()].trim().to_string(), status, due);
    }
    (text, ReportedStatus::None, Vec::new())
}

/// The repair items of one repair section's text. Bullets are items (indented bullets belong to
/// the one above); where the section has no bullets, each line is one (or each item it numbers
/// or dashes inline), once apologies and review-process notes are set aside; and where it
/// tells a story (times of day) or commits to two changes in one line, each sentence that
/// commits to a change is one.
pub fn extract(section_text: &str) -> Vec<RepairItem> {
    let lines: Vec<&str> = section_text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let has_bullets = lines.iter().any(|l| bullet(l).is_some());
    // Times of day or lines opening on one ("At 23:50 PST on Monday …", "By 07:27, the
    // engineering team …") tell what happened: the section is a story, not a list.
    let narrative = lines
        .iter()
        .any(|l| NARRATION.is_match(l) || CLOCK.is_match(l));
    let mut raw: Vec<String> = Vec::new();
    if has_bullets {
        let mut base_indent: Option<usize> = None;
        let mut in_item = false;
        for line in &lines {
            match bullet(line) {
                Some((indent, text)) => {
                    let base = *base_indent.get_or_insert(indent);
                    if indent > base && in_item {
                        if let Some(last) = raw.last_mut() {
                            last.push(' ');
                            last.push_str(text);
                        }
                    } else {
                        raw.push(text.to_string());
                        in_item = true;
                    }
                }
                None => in_item = false,
            }
        }
    } else {
        for line in lines {
            // "... this includes (but is not limited to): Item" keeps what follows the colon.
            let line = match line.find("not limited to):") {
                Some(i) => &line[i + "not limited to):".len()..],
                None => line,
            };
            // Items numbered inline, "1. Audit ... 2. Enhance ...", or dashed, "… in the
            // following areas: — Google engineers have deployed … — Additional rate limiting …",
            // are one item each.
            if let Some(numbered) = numbered_inline(line).or_else(|| dashed_inline(line)) {
                for item in numbered {
                    let kept: Vec<&str> = sentences(item)
                        .into_iter()
                        .filter(|s| !is_not_an_item(s))
                        .collect();
                    if !kept.is_empty() {
                        // "1. Automated validation pre and post change, 2.Device …"
                        raw.push(kept.join(" ").trim_end_matches([',', ';']).to_string());
                    }
                }
                continue;
            }
            // Prose that tells how the incident was mitigated, then what will change (Google
            // Cloud's "REMEDIATION AND PREVENTION"), and any line that commits to two changes:
            // one item per sentence that commits to a change or is a to-do ("Implement
            // multiple orthogonal schemes …"); narration and context are not items.
            let clauses: Vec<&str> = prose_sentences(line)
                .into_iter()
                .flat_map(two_commitments)
                .collect();
            let promised: Vec<&str> = clauses
                .iter()
                .copied()
                .filter(|s| commits(s).is_some() || is_to_do(s))
                .collect();
            // "We have identified and remediated the issue. As part of the remediation, we
            // reverted to an earlier rollout …": how this incident was mitigated, told without
            // clock times, is no item either.
            static REVERTED: LazyLock<Regex> =
                LazyLock::new(|| super::text::prose_regex(r"(?i)\bwe (?:reverted|rolled back)\b"));
            let tells_mitigation = clauses
                .iter()
                .any(|s| tells_own_fix(s) || REVERTED.is_match(s));
            if narrative || promised.len() > 1 || (tells_mitigation && !promised.is_empty()) {
                raw.extend(promised.into_iter().map(str::to_string));
                continue;
            }
            // "… we will be implementing changes … in several ways:", "Several opportunities
            // have been identified to increase resilience, including:" announce the items.
            // What comes before the announcement is an item where the line numbers it ("1.
            // Fine-grained fault domain isolation work has been accelerated. … This includes:")
            // or it commits to a change ("Engineers will review deployment procedures …
            // This includes:"); else it is the context of the list.
            let mut sentences = sentences(line);
            if line.trim_end().ends_with(':') {
                sentences.pop();
                static NUMBERED: LazyLock<Regex> =
                    LazyLock::new(|| Regex::new(r"^\s*\d{1,2}[.)]\s").expect("valid regex"));
                let item = NUMBERED.is_match(line)
                    || sentences
                        .iter()
                        .any(|s| commits(s).is_some() || is_to_do(s));
                if !item {
                    continue;
                }
            }
            let kept: Vec<&str> = sentences
                .into_iter()
                .filter(|s| !is_not_an_item(s))
                .collect();
            if !kept.is_empty() {
                raw.push(kept.join(" "));
            }
        }
    }
    raw.into_iter()
        .filter(|t| !is_not_an_item(t))
        .map(|t| {
            let (text, mut reported_status, due) = read_marker(&t);
            if reported_status == ReportedStatus::None
                && (says_done(&text) || commits(&text) == Some(true))
            {
                reported_status = ReportedStatus::Completed;
            }
            RepairItem {
                id: item_hash(&text),
                text,
                reported_status,
                due,
            }
        })
        .filter(|i| !i.text.is_empty())
        .collect()
}

/// Whether a sentence tells this incident's own fix: "We have identified and remediated the
/// issue", "… resolved the problem". Narration, not a change that prevents a recurrence.
fn tells_own_fix(sentence: &str) -> bool {
    static OWN_FIX: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(
            r"(?i)\b(?:remediated|resolved|fixed|mitigated) (?:the|this) (?:issue|problem|incident|outage)\b",
        )
    });
    OWN_FIX.is_match(sentence)
}

/// Whether a sentence is a to-do: it opens with a verb in the imperative ("Implement multiple
/// orthogonal schemes …", "Continue to upgrade our hardware …").
fn is_to_do(sentence: &str) -> bool {
    const VERBS: &[&str] = &[
        "add",
        "audit",
        "automate",
        "build",
        "change",
        "conduct",
        "continue",
        "create",
        "define",
        "deploy",
        "develop",
        "document",
        "enable",
        "enhance",
        "ensure",
        "establish",
        "evaluate",
        "expand",
        "extend",
        "fix",
        "harden",
        "implement",
        "improve",
        "increase",
        "introduce",
        "investigate",
        "isolate",
        "limit",
        "migrate",
        "modify",
        "monitor",
        "prevent",
        "redesign",
        "reduce",
        "refine",
        "remove",
        "replace",
        "require",
        "review",
        "revise",
        "separate",
        "standardize",
        "strengthen",
        "test",
        "update",
        "upgrade",
        "validate",
    ];
    let first = sentence.split_whitespace().next().unwrap_or("");
    if !first.starts_with(char::is_uppercase) {
        return false;
    }
    let word = first.to_ascii_lowercase();
    // The gerund of a to-do list: "Improving testing and staging alerts …", "Adding …".
    let stems = match word.strip_suffix("ing") {
        Some(stem) => vec![
            stem.to_string(),
            format!("{stem}e"),
            stem[..stem.len().saturating_sub(1)].to_string(),
        ],
        None => vec![word],
    };
    stems.iter().any(|s| VERBS.contains(&s.as_str()))
}

/// Whether an item without a status marker says it is done: its first clause is "we have" or
/// "engineers have" with a past participle ("Google engineers have deployed monitoring …",
/// "We have already increased …"), not "we will" or "we are".
fn says_done(text: &str) -> bool {
    static DONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"^((?:[\w'’-]+,?\s+){0,4}?)(?:have|has)\s+",
            r"(?:(?:also|now|already|since|immediately|subsequently|successfully)\s+)*",
            r"([a-z]+)\b",
        ))
        .expect("valid regex")
    });
    // "We will have deployed", "how we have handled": the clause is not a report of work done.
    DONE.captures(text).is_some_and(|c| {
        is_participle(&c[2])
            && !c[1].split_whitespace().any(|w| {
                let w = w.trim_end_matches(',').to_ascii_lowercase();
                matches!(
                    w.as_str(),
                    "will"
                        | "would"
                        | "should"
                        | "could"
                        | "may"
                        | "might"
                        | "must"
                        | "to"
                        | "not"
                        | "how"
                        | "what"
                        | "we've"
                        | "if"
                        | "once"
                        | "when"
                        | "until"
                        // "This incident has validated the need for …": no work done.
                        | "incident"
                        | "event"
                        | "outage"
                )
            })
    })
}

/// A past participle, as "we have …" takes one: "deployed", "built", "rewritten".
fn is_participle(verb: &str) -> bool {
    verb.ends_with("ed") || ["built", "made", "rewritten", "written", "put", "set"].contains(&verb)
}

/// Whether a sentence commits to a change, and whether it says the change is made: `Some(true)`
/// for "we have modified the access controls", `Some(false)` for "We will audit our change
/// process" or "We are also adding throttling", `None` for narration, apologies and promises
/// about the report or the conversation ("we will publish", "we will continue to investigate",
/// "we will do everything we can to learn", "we will explain").
fn commits(sentence: &str) -> Option<bool> {
    static PROMISE: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(concat!(
            // "we will", and the team the review speaks for: "Google engineers are creating
            // safeguards", "the BigQuery engineering team will work on …", "They are also …".
            r"(?i)\b(?:we|google|engineers|team)(?:\s+will|'ll|\s+are\s+going\s+to|\s+plans?\s+to|\s+intends?\s+to)",
            r"(?:\s+(?:also|now|immediately|further|additionally|soon|then|be|quickly|first|next))*",
            r"\s+([a-z]+)",
            // "We have a fix and will be testing it and deploying it to our clusters".
            r"|\bwe\b[^.;:]{0,160}?,?\s+and\s+(?:we\s+)?will\s+(?:be\s+)?([a-z]+)",
            r"|\b[a-z]+\s+will\s+be\s+([a-z]+(?:ed|ing))\b",
            r"|\b(?:we(?:\s+are|'re)|(?:engineers|they)\s+are|(?:google|team)\s+is)",
            r"(?:\s+(?:also|now|currently|actively|already))*\s+(?:taking\s+steps\s+to\s+([a-z]+)|([a-z]+ing)\b)",
            // "A number of less technical improvements are also being implemented.", "Google's
            // development guidelines are being reviewed and updated".
            r"|\b(?:are|is)(?:\s+(?:also|now|currently|already))*\s+being\s+",
            r"(implemented|reviewed|updated|improved|added|deployed|developed|built|introduced|enhanced|strengthened|extended|expanded|changed|modified|revised|hardened|rolled\s+out)\b",
            // "Updating our tooling to open issues for new firmware will force us to review …"
            r"|^(\p{Lu}[a-z]+ing)\s+(?:our|the|all|every|each)\b[^.;]{0,160}\swill\s",
            // "We are already in the process of making a few changes", "We have already been
            // working on a fix".
            r"|\bwe\s+are(?:\s+(?:also|already|now))*\s+(in\s+the\s+process)\s+of\b",
            r"|\bwe(?:\s+have|'ve)(?:\s+(?:also|already|now))*\s+been\s+(working)\s+on\b",
            r"|\b(?:we(?:\s+have|'ve)|(?:engineers|they|team)\s+have|(?:google|team|engineering)\s+has)",
            r"(?:\s+(?:also|now|already|immediately|since|subsequently|greatly|successfully))*",
            // "We have now identified and fixed the latent bug": the change is the second verb.
            r"(?:\s+[a-z]+ed\s+and)?\s+([a-z]+)(\s+back)?",
        ))
    });
    // Sentences that announce, thank or apologize rather than commit.
    static NOT_A_COMMITMENT: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(concat!(
            r"(?i)\b(?:thank you|some of which|the following|as follows|work(?:ing)? hard|we regret",
            r"|would like to|our intention|in this (?:document|post|section)|we understand",
            r"|a number of (?:changes|steps|improvements)|(?:^|while )we are (?:confident|disappointed))\b|:$",
        ))
    });
    // Verbs that narrate, communicate or apologize; and what "we have" done during the event
    // (a rollback or a restart mitigates; it does not prevent a recurrence).
    const NOT_A_CHANGE: &[&str] = &[
        "learn",
        "do",
        "doing",
        "invested",
        // "Google engineers have conducted a wide-ranging review": the review itself.
        "conducted",
        "continue",
        "continuing",
        "publish",
        "post",
        "share",
        "provide",
        "explain",
        "describe",
        "discuss",
        "go",
        "cover",
        "detail",
        "outline",
        "walk",
        "talk",
        "apologize",
        "apologise",
        "notify",
        "contact",
        "reach",
        "issue",
        "credit",
        "refund",
        "have",
        "see",
        "find",
        "know",
        "keep",
        "remain",
        "spend",
        "be",
        "been",
        "had",
        "get",
        "let",
        "say",
        "try",
        "update",
        "seeing",
        "aware",
        "confident",
        "sorry",
        "investigating",
        "taking",
        "monitoring",
        "providing",
        "issuing",
        "reaching",
        "contacting",
        "sending",
        "apologizing",
        "looking",
        "committed",
        "happy",
        "able",
        "identified",
        "determined",
        "confirmed",
        "seen",
        "observed",
        "received",
        "restored",
        "recovered",
        "mitigated",
        "resolved",
        "learned",
        "experienced",
        "concluded",
        "investigated",
        "notified",
        "contacted",
        "reached",
        "published",
        "posted",
        "shared",
        "provided",
        "apologized",
        "worked",
        "completed",
        "started",
        "begun",
        "made",
        "taken",
        "heard",
        "decided",
        "noticed",
        "reviewed",
        "used",
        "performed",
        "devoted",
        "spent",
        "reverted",
        "restarted",
        "rebooted",
        "not",
        "no",
        "never",
        "all",
        "a",
        "an",
        "make",
        "hosted",
        "the",
        "to",
        "in",
        "gathered",
        "documented",
        "issued",
        "credited",
        "charged",
        "sent",
        "updated",
        "required",
        "needed",
        "asked",
        "affected",
        "impacted",
        "expected",
        "based",
        "refer",
    ];
    if NOT_A_COMMITMENT.is_match(sentence) || tells_own_fix(sentence) || is_not_an_item(sentence) {
        return None;
    }
    // A defect of the system named and fixed: "The issue that prevented the control plane from
    // restarting has been resolved", "The underlying bug has now been fixed". Not the incident
    // itself: "The issue with Google Cloud Routers in us-east4 has been resolved".
    static DEFECT_FIXED: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(concat!(
            r"(?i)\b(?:(?:bugs?|defects?|flaws?|regressions?)\b[^.;]{0,120}?",
            r"|(?:issues?|problems?)\s+(?:that|which)\s+(?:prevented|caused|allowed|stopped|blocked|made)\b[^.;]{0,120}?)",
            r"\b(?:has|have)(?:\s+(?:now|since|also|already))*\s+been\s+(?:fixed|resolved|corrected|patched)\b",
        ))
    });
    if DEFECT_FIXED.is_match(sentence) {
        return Some(true);
    }
    // Most sentences commit to nothing: the search for where is faster than the one for what.
    if !PROMISE.is_match(sentence) {
        return None;
    }
    for c in PROMISE.captures_iter(sentence) {
        let planned = (1..=9).find_map(|k| c.get(k));
        // "We have rolled back the change" mitigated; "we have now rolled out the fix" did not.
        if c.get(11).is_some() {
            continue;
        }
        let (verb_at, done) = match (planned, c.get(10)) {
            (Some(v), _) => (v, false),
            (None, Some(v)) => (v, true),
            _ => continue,
        };
        let verb = verb_at.as_str().to_ascii_lowercase();
        // "The engineering team has made changes to the routing configuration", "We will make
        // software measures to prevent …"; not "… will make us more confident".
        let made_changes = (verb == "made" || verb == "make") && {
            let rest = sentence[verb_at.end()..].trim_start();
            [
                "changes",
                "improvements",
                "fixes",
                "a change",
                "a fix",
                "software",
                "measures",
            ]
            .iter()
            .any(|w| rest.starts_with(w))
        };
        // The verbs of "… are being reviewed" are changes by their list.
        let passive = c.get(6).is_some();
        // "The BigQuery engineering team will also be investigating ways to reduce …".
        let to_find_a_change = verb.starts_with("investigat")
            && c.get(1).is_some_and(|v| {
                let rest = sentence[v.end()..].trim_start();
                ["ways", "how", "options", "approaches"]
                    .iter()
                    .any(|w| rest.starts_with(w))
            });
        if NOT_A_CHANGE.contains(&verb.as_str()) && !made_changes && !passive && !to_find_a_change {
            continue;
        }
        // "we have" + a past participle: a change made since; anything else is narration.
        if done && !is_participle(&verb) {
            continue;
        }
        // "We have developed a fix for this bug and are in the process of rolling it out."
        static STILL_GOING: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"\band\s+(?:we\s+)?(?:are\s+(?:in\s+the\s+process|\w+ing\b)|will|expect|plan)\b",
            )
            .expect("valid regex")
        });
        let rest = &sentence[c.get(0).expect("group 0").end()..];
        return Some(done && !STILL_GOING.is_match(rest));
    }
    None
}

/// Commitments a report makes in prose (AWS and GitHub summaries have no action list): one
/// item per sentence (or clause, see `two_commitments`) that commits to a change (`commits`).
/// What "we have" done counts as completed.
pub fn commitments(text: &str) -> Vec<RepairItem> {
    let mut items: Vec<RepairItem> = Vec::new();
    for paragraph in text.split('\n') {
        let paragraph = bullet(paragraph).map_or(paragraph, |(_, t)| t);
        let clauses = prose_sentences(paragraph)
            .into_iter()
            .flat_map(two_commitments);
        for sentence in clauses {
            let Some(done) = commits(sentence) else {
                continue;
            };
            let text = squash(sentence);
            let item = RepairItem {
                id: item_hash(&text),
                text,
                reported_status: if done {
                    ReportedStatus::Completed
                } else {
                    ReportedStatus::None
                },
                due: Vec::new(),
            };
            if !items.iter().any(|i| i.id == item.id) {
                items.push(item);
            }
        }
    }
    items
}

/// The items of a line that lists them after dashes ("… in the following areas: — Google
/// engineers have deployed monitoring … — Additional rate limiting …"), when it has at least
/// two; the text before the first dash is not an item. `None` for a line that does not.
fn dashed_inline(line: &str) -> Option<Vec<&str>> {
    static DASH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[.:]\s+[—–]\s+\p{Lu}").expect("valid regex"));
    let starts: Vec<usize> = DASH
        .find_iter(line)
        .map(|m| {
            m.end()
                - line[..m.end()]
                    .chars()
                    .next_back()
                    .map_or(0, char::len_utf8)
        })
        .collect();
    if starts.len() < 2 {
        return None;
    }
    Some(
        starts
            .iter()
            .enumerate()
            .map(|(k, &at)| {
                let end = starts.get(k + 1).map_or(line.len(), |&next| {
                    line[..next].trim_end().trim_end_matches(['—', '–']).len()
                });
                line[at..end].trim()
            })
            .collect(),
    )
}

/// A sentence whose two clauses each commit to a change ("We will be updating our test suite
/// … and we are improving our circuit breakers …", "We have deployed monitoring …, and next
/// week, we will begin deploying a fix") as its two clauses; any other sentence whole.
fn two_commitments(sentence: &str) -> Vec<&str> {
    static AND_WE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i),?\s+and\s+(?:[a-z]+,?\s+){0,3}?we(?:\s+will|'ll|\s+are|'re|\s+have|'ve|\s+plan)\b")
            .expect("valid regex")
    });
    for m in AND_WE.find_iter(sentence) {
        let (first, second) = (
            &sentence[..m.start()],
            sentence[m.start()..].trim_start_matches(','),
        );
        let second = second.trim_start();
        let second = second.get(4..).unwrap_or("").trim_start(); // past "and "
        if commits(first).is_some() && commits(second).is_some() {
            return vec![first.trim(), second];
        }
    }
    vec![sentence]
}

/// The items of a line that numbers them inline ("1. Audit the network. 2. Enhance ..."), when
/// it numbers at least two, in order from 1; the text before "1." is not an item. `None` for
/// a line that does not.
fn numbered_inline(line: &str) -> Option<Vec<&str>> {
    static NUMBER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|\s)(\d{1,2})[.)]\s*\p{Lu}").expect("valid regex"));
    let mut starts = Vec::new();
    let mut wanted = 1;
    for c in NUMBER.captures_iter(line) {
        let n: usize = c[1].parse().ok()?;
        if n == wanted {
            let at = c.get(1).expect("group 1").start();
            starts.push((at, c.get(0).expect("group 0").end() - 1));
            wanted += 1;
        }
    }
    if starts.len() < 2 {
        return None;
    }
    let items = starts
        .iter()
        .enumerate()
        .map(|(k, &(_, text_start))| {
            let end = starts.get(k + 1).map_or(line.len(), |&(at, _)| at);
            line[text_start..end].trim()
        })
        .collect();
    Some(items)
}

fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'.' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            out.push(line[start..=i].trim());
            start = i + 1;
        }
    }
    if start < line.len() && !line[start..].trim().is_empty() {
        out.push(line[start..].trim());
    }
    out
}

/// The hash part of a repair item's id: from its text without marker, case and punctuation, so
/// that a marker changing between a preliminary and a final review keeps the id.
pub fn item_hash(text: &str) -> String {
    let canonical: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let digest = Sha256::digest(canonical.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_that_says_it_is_done_is_completed() {
        for done in [
            "Google engineers have deployed monitoring for additional infrastructure signals.",
            "We have already increased our capacity buffer.",
            "In addition, the team has rewritten the retry logic.",
        ] {
            assert!(says_done(done), "{done}");
        }
        for open in [
            "This incident has validated the need for more monitoring, so we are accelerating it.",
            "We will have deployed it by May.",
            "Engineers are adding monitoring that will have alerted sooner.",
            "Review how we have handled failovers so far and what failed.",
            "Add alerts for the cases we have seen.",
        ] {
            assert!(!says_done(open), "{open}");
        }
        let items = extract(
            "Google engineers have deployed monitoring for new signals.\nAdditional rate limiting will be added.",
        );
        let statuses: Vec<ReportedStatus> = items.iter().map(|i| i.reported_status).collect();
        assert_eq!(statuses, [ReportedStatus::Completed, ReportedStatus::None]);
    }

    #[test]
    fn commitments_in_prose_are_one_item_per_sentence() {
        let text = "At 12:24 PM PST, we identified the cause. First, we have modified the access \
                    controls on our production ELB state data to prevent inadvertent modification. \
                    We have also modified our data recovery process. We will also incorporate our \
                    learning into our service architecture. We will do everything we can to learn \
                    from this event.\n\nWe are implementing semantic configuration validation for \
                    the U.S. East region. We are also adding throttling. We are sorry. We will \
                    publish a full report. In the next section we will explain what happened.";
        let items = commitments(text);
        let got: Vec<(&str, ReportedStatus)> = items
            .iter()
            .map(|i| (i.text.as_str(), i.reported_status))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "First, we have modified the access controls on our production ELB state data to prevent inadvertent modification.",
                    ReportedStatus::Completed
                ),
                (
                    "We have also modified our data recovery process.",
                    ReportedStatus::Completed
                ),
                (
                    "We will also incorporate our learning into our service architecture.",
                    ReportedStatus::None
                ),
                (
                    "We are implementing semantic configuration validation for the U.S. East region.",
                    ReportedStatus::None
                ),
                ("We are also adding throttling.", ReportedStatus::None),
            ]
        );
    }

    #[test]
    fn items_numbered_inline_are_one_item_each() {
        let line = "In this case, this includes (but is not limited to): 1. Auditing the network to ensure that fiber damage is not present in other locations. 2. Enhancing software capabilities so when line card failures occur, they are mitigated faster. 3) Review the 2 runbooks.";
        let items: Vec<String> = extract(line).into_iter().map(|i| i.text).collect();
        assert_eq!(
            items,
            [
                "Auditing the network to ensure that fiber damage is not present in other locations.",
                "Enhancing software capabilities so when line card failures occur, they are mitigated faster.",
                "Review the 2 runbooks."
            ]
        );
        assert!(numbered_inline("We fixed 1. thing.").is_none());
    }

    #[test]
    fn two_clauses_that_commit_are_two_items() {
        let text = "We have deployed monitoring that will alarm on this leak, and next week, we \
                    will begin deploying a fix for the leak. We will be updating our test suite \
                    and we are improving our circuit breakers. We know our customers and we will \
                    publish a report.";
        let got: Vec<(String, ReportedStatus)> = commitments(text)
            .into_iter()
            .map(|i| (i.text, i.reported_status))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "We have deployed monitoring that will alarm on this leak".to_string(),
                    ReportedStatus::Completed
                ),
                (
                    "next week, we will begin deploying a fix for the leak.".to_string(),
                    ReportedStatus::None
                ),
                (
                    "We will be updating our test suite".to_string(),
                    ReportedStatus::None
                ),
                (
                    "we are improving our circuit breakers.".to_string(),
                    ReportedStatus::None
                ),
            ]
        );
    }

    #[test]
    fn the_team_a_review_speaks_for_commits_too() {
        for commits_to in [
            "To prevent a recurrence, Google engineers are creating safeguards to limit keys.",
            "They are also improving the availability of Pub/Sub servers.",
            "In the longer term, the BigQuery engineering team will work on several strategies.",
            "Google's development guidelines are being reviewed and updated.",
            "A number of less technical improvements are also being implemented.",
            "Updating our tooling to open issues for new firmware will force us to review changelogs.",
            "We are already in the process of making a few changes to reduce the interdependency.",
            "We're actively working with our hosting provider to address this.",
            "Chaos Studio will be expanding its scenarios.",
            "We have a fix and will be testing it and deploying it to our clusters.",
            "The BigQuery engineering team will also be investigating ways to reduce the load.",
            "Google engineers are rolling out a fix which curbs the retries that caused this incident.",
            "We will make software measures to prevent any configuration changes that overload it.",
        ] {
            assert_eq!(commits(commits_to), Some(false), "{commits_to}");
        }
        for done in [
            "We have now rolled out the bug fix to all regions.",
            "We have now identified and fixed the latent bug.",
            "The engineering team has made changes to the routing configuration.",
            "The issue that prevented the control plane from restarting has been resolved.",
            "The underlying bug in the storage layer has now been fixed.",
        ] {
            assert_eq!(commits(done), Some(true), "{done}");
        }
        for not_a_change in [
            "We have rolled back the change.",
            "The issue with Google Cloud Routers in us-east4 has been resolved.",
            "We have made good progress.",
            "We have identified and remediated the issue.",
            "Google has an ongoing program of upgrading to storage hardware.",
            "The webinars will be hosted several times daily.",
            "While customers need to expect that they will encounter throttling, it was too slow.",
            "While we are disappointed, we are confident the fixes will be addressed.",
            "This is an approach we have begun using and will make us more confident.",
            "We have invested heavily in making our APIs resilient.",
            "Since the incident began, Google engineers have conducted a wide-ranging review.",
            "We are taking the following steps to prevent the issue from happening again:",
        ] {
            assert_eq!(commits(not_a_change), None, "{not_a_change}");
        }
        // Made; what the review is sure of is no work still going on.
        assert_eq!(
            commits(
                "We have also trained our teams to remediate this, and we are confident that we could recover."
            ),
            Some(true)
        );
        // Made, but its roll-out is still going on.
        assert_eq!(
            commits(
                "We have developed a fix for this bug and are in the process of rolling it out."
            ),
            Some(false)
        );
    }

    #[test]
    fn a_story_of_the_mitigation_is_no_item_but_its_commitments_are() {
        let section = "At 23:50 PST on Monday 8 December, Google engineers blocked failing credentials.\n\
            Google engineers were alerted at 06:52 and began investigating. By 07:27 the team reverted the change.\n\
            To prevent a recurrence, Google engineers are creating safeguards. They are also improving availability. Implement multiple orthogonal schemes for durability.\n\
            We truly understand how important this is and deeply apologize for this incident.";
        let items: Vec<String> = extract(section).into_iter().map(|i| i.text).collect();
        assert_eq!(
            items,
            [
                "To prevent a recurrence, Google engineers are creating safeguards.",
                "They are also improving availability.",
                "Implement multiple orthogonal schemes for durability."
            ]
        );
        // Told without clock times too: "remediated the issue", "we reverted".
        let untimed = "We have identified and remediated the issue. As part of the remediation, we reverted to an earlier rollout. After verifying the issue was resolved, Google is taking steps to improve our testing.";
        let items: Vec<String> = extract(untimed).into_iter().map(|i| i.text).collect();
        assert_eq!(
            items,
            [
                "After verifying the issue was resolved, Google is taking steps to improve our testing."
            ]
        );
        // A list of noun phrases without a story stays one item per line.
        let list = "Additional physical partitioning within each region. Logical partitioning.\n\
            BCDR critical services will take the following remediations:\n\
            Improved resilience to request build-up.";
        let items: Vec<String> = extract(list).into_iter().map(|i| i.text).collect();
        assert_eq!(
            items,
            [
                "Additional physical partitioning within each region. Logical partitioning.",
                "Improved resilience to request build-up."
            ]
        );
    }

    #[test]
    fn items_listed_after_dashes_are_one_item_each() {
        let line = "Google has conducted a review, leading to actions in the following areas: — Google engineers have deployed monitoring for new signals. — Additional rate limiting will be added to the API. — Google's guidelines are being reviewed.";
        let items: Vec<(String, ReportedStatus)> = extract(line)
            .into_iter()
            .map(|i| (i.text, i.reported_status))
            .collect();
        assert_eq!(
            items,
            [
                (
                    "Google engineers have deployed monitoring for new signals.".to_string(),
                    ReportedStatus::Completed
                ),
                (
                    "Additional rate limiting will be added to the API.".to_string(),
                    ReportedStatus::None
                ),
                (
                    "Google's guidelines are being reviewed.".to_string(),
                    ReportedStatus::None
                ),
            ]
        );
        assert!(dashed_inline("One thing — and another — happened.").is_none());
    }

    #[test]
    fn statuses_and_due_months_written_after_the_item() {
        let (t, s, _) = read_marker(
            "Method of Procedure (MoP) detailed review as related to infrastructure refresh projects – in progress",
        );
        assert_eq!(
            (t.as_str(), s),
            (
                "Method of Procedure (MoP) detailed review as related to infrastructure refresh projects",
                ReportedStatus::None
            )
        );
        // A word of the item is no status.
        let (t, _, _) = read_marker("Alert on jobs left pending");
        assert_eq!(t, "Alert on jobs left pending");
        let (t, s, _) =
            read_marker("Add geographic redundancy at the DNS name server level – Complete.");
        assert_eq!(
            (t.as_str(), s),
            (
                "Add geographic redundancy at the DNS name server level",
                ReportedStatus::Completed
            )
        );
        let (t, s, _) = read_marker(
            "Substitute pt-kill for events to avoid memory leaks Done, it is an ongoing task.",
        );
        assert_eq!(
            (t.as_str(), s),
            (
                "Substitute pt-kill for events to avoid memory leaks",
                ReportedStatus::Completed
            )
        );
        let (t, s, due) = read_marker("Continue to expand coverage of the service – July 2022");
        assert_eq!(
            (t.as_str(), s, due.len()),
            (
                "Continue to expand coverage of the service",
                ReportedStatus::Estimated,
                1
            )
        );
        // A status word inside the sentence is no marker.
        let (_, s, _) = read_marker("Make sure Done tasks are archived.");
        assert_eq!(s, ReportedStatus::None);
        // "2.Device" numbers its item without a space.
        let items: Vec<String> = extract("It includes: 1. Automated validation pre and post change, 2.Device telemetry in change automation, 3.Add redundancy – Complete.")
            .into_iter()
            .map(|i| i.text)
            .collect();
        assert_eq!(
            items,
            [
                "Automated validation pre and post change",
                "Device telemetry in change automation",
                "Add redundancy"
            ]
        );
    }

    #[test]
    fn task_list_status_labels_are_markers() {
        let (t, s, _) = read_marker("Status: Done - Investigate page_restrictions query slowness");
        assert_eq!(
            (t.as_str(), s),
            (
                "Investigate page_restrictions query slowness",
                ReportedStatus::Completed
            )
        );
        let (t, s, _) = read_marker("Status: Unresolved Automate checks before syncing. ( )");
        assert_eq!(
            (t.as_str(), s),
            ("Automate checks before syncing.", ReportedStatus::None)
        );
        let (_, s, _) = read_marker("Status: Declined Investigate wfLoadExtension.");
        assert_eq!(s, ReportedStatus::None);
        let (t, s, _) = read_marker("Status: on-going - Audit the current cache sizes.");
        assert_eq!(
            (t.as_str(), s),
            ("Audit the current cache sizes.", ReportedStatus::None)
        );
        // "Status" in a sentence is no label.
        let (t, _, _) = read_marker("Status page updates should be automated.");
        assert_eq!(t, "Status page updates should be automated.");
    }

    #[test]
    fn the_reviews_own_investigation_is_no_item() {
        assert!(is_not_an_item(
            "Engineers will continue to investigate to establish the full root cause and prevent future occurrences."
        ));
        assert!(is_not_an_item(
            "Engineers are continuing their investigations to establish the full root cause."
        ));
        assert!(!is_not_an_item(
            "Engineers will add monitoring to investigate slow queries sooner."
        ));
    }

    #[test]
    fn markers_become_statuses_and_due_months() {
        let (t, s, d) = read_marker("We have changed the policy. (Completed)");
        assert_eq!(
            (t.as_str(), s, d.len()),
            ("We have changed the policy.", ReportedStatus::Completed, 0)
        );
        let (t, s, d) = read_marker("Update tooling (Estimated completion: September 2024)");
        assert_eq!(
            (t.as_str(), s),
            ("Update tooling", ReportedStatus::Estimated)
        );
        assert_eq!(
            d,
            vec![DueMonth {
                year: 2024,
                month: 9
            }]
        );
        let (_, s, d) = read_marker("Investigate (Estimated completion: TBD)");
        assert_eq!((s, d.len()), (ReportedStatus::Tbd, 0));
        let (_, s, d) = read_marker("Migrate (Estimated completion: February 2024 and May 2024).");
        assert_eq!((s, d.len()), (ReportedStatus::Estimated, 2));
        let (_, s, d) = read_marker("Rework (Estimated completion: Q3 2024)");
        assert_eq!(
            (s, d),
            (
                ReportedStatus::Estimated,
                vec![DueMonth {
                    year: 2024,
                    month: 9
                }]
            )
        );
        let (t, s, _) = read_marker("[x] Roll back the flag");
        assert_eq!(
            (t.as_str(), s),
            ("Roll back the flag", ReportedStatus::Completed)
        );
        let (_, s, _) = read_marker("We suspended further runs of this process.");
        assert_eq!(s, ReportedStatus::None);
        // "due to" in prose is not a due date (the 2012 leap-day review).
        let (t, s, _) = read_marker(
            "Testing. The root cause was a software bug due to the incorrect manipulation of date/time values.",
        );
        assert_eq!(s, ReportedStatus::None);
        assert!(t.ends_with("date/time values."));
    }

    #[test]
    fn the_id_ignores_the_marker_and_punctuation() {
        let a = extract("• We will increase parallelization. (Estimated completion: TBD)");
        let b = extract("• We will increase parallelization (Estimated completion: December 2024)");
        assert_eq!(a[0].id, b[0].id);
    }

    #[test]
    fn sub_bullets_join_their_parent_and_definitions_are_not_items() {
        let text = "• Prevention – how the system can avoid failures\n\n• Service Dashboard. It failed.\n    • Intermittent availability: ...\n• Visibility. Better.";
        let items = extract(text);
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(items[0].text.contains("Intermittent availability"));
    }

    #[test]
    fn lines_without_bullets_skip_apologies() {
        let text = "We apologize for the impact to affected customers. We are continuously taking steps to improve. In this case, this includes (but is not limited to): Fix the configuration validation.\nAdd monitoring for the backend.";
        let items = extract(text);
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Fix the configuration validation.",
                "Add monitoring for the backend."
            ]
        );
    }
}
