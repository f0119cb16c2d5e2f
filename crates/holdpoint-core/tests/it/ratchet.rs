//! The corpus gates' ratchet, shared with the `holdpoint` crate's corpus test (which
//! includes this file by path).

/// Compares what a corpus run judged beyond its labels with the list checked in at
/// `corpus/known/NAME`: a case judged more cautiously than labelled that is not on the
/// list fails, and so does an entry the run no longer produces. The list only shrinks:
/// fix the analysis (or a label that is wrong), then take the line out.
pub(crate) fn ratchet(name: &str, mut found: Vec<String>) {
    let path = format!("{}/../../corpus/known/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut known: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    found.sort();
    known.sort();
    let mut new = Vec::new();
    let mut gone = Vec::new();
    let (mut f, mut k) = (found.iter().peekable(), known.iter().peekable());
    loop {
        match (f.peek(), k.peek()) {
            (Some(a), Some(b)) if a == b => {
                f.next();
                k.next();
            }
            (Some(a), Some(b)) if a < b => new.push(f.next().unwrap()),
            (Some(_), None) => new.push(f.next().unwrap()),
            (_, Some(_)) => gone.push(k.next().unwrap()),
            (None, None) => break,
        }
    }
    let mut message = String::new();
    if !new.is_empty() {
        message += &format!(
            "{} case(s) judged beyond their label that corpus/known/{name} does not list:\n  {}\n",
            new.len(),
            new.iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    if !gone.is_empty() {
        message += &format!(
            "{} listed case(s) are now judged as labelled; take them out of corpus/known/{name}:\n  {}\n",
            gone.len(),
            gone.iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    assert!(message.is_empty(), "{message}");
}
