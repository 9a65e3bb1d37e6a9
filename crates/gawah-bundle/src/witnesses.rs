//! Witness cosignatures on the bundle's checkpoint (C2SP tlog-cosignature, `cosignature/v1`).
//!
//! A witness cosigns a checkpoint only if it is consistent with every earlier checkpoint of
//! that log the witness saw, so a checkpoint cosigned by witnesses you trust is one the log
//! could not have shown differently to them: it guards against a forked log without a
//! checkpoint of your own. `log/checkpoint` carries the cosignatures as extra signature
//! lines after the log's own; readers that do not know the witnesses ignore them.
//!
//! Given witness keys and a threshold (k of n), each witness is reported (valid, with the
//! time it states; missing; or bad: a line with its name and key id that does not verify,
//! which is a failure), then whether at least k cosignatures hold.

use gawah_log::{CosignatureCheck, CosignatureVerifier, NoteVerifier, open_note};

use crate::report::{Outcome, Report};

const WHAT: &str = "witness";

/// README.txt's recipe for checking one witness's cosignature with OpenSSL. Its commands run
/// only when `WKEY` is set, so the whole README stays one runnable script. It uses `$t/text`
/// (the checkpoint's text) and the helpers of steps 0 and 2.
pub(crate) const README_SECTION: &str = r#"
WITNESSES (optional). Witnesses cosigned the checkpoint

  A witness signs ("cosigns") a checkpoint only if it is consistent with every earlier
  checkpoint of this log it saw, so a checkpoint cosigned by witnesses you trust cannot have
  been shown differently to them. log/checkpoint may carry cosignatures after the log's own
  signature line: lines "— <witness name> <base64>" whose base64 holds the key id (4 bytes),
  the time (8 bytes, big-endian seconds since 1970) and an Ed25519 signature (64 bytes) over:
  cosignature/v1, a newline, "time <time>", a newline, then the checkpoint's text. Set WKEY
  to a witness's key, obtained from the witness: <name>+<key id>+<base64 of 0x04 and the
  32-byte key>. Without WKEY these commands do nothing.

    if [ -n "${WKEY:-}" ]; then
    wname=$(printf '%s' "$WKEY" | cut -d+ -f1)
    grep -F "— $wname " log/checkpoint | head -n 1 | cut -d' ' -f3 | base64 -d > "$t/cosig"
    if [ ! -s "$t/cosig" ]; then echo "cosignature by $wname: MISSING"; fi
    ctime=$((0x$(head -c 12 "$t/cosig" | tail -c 8 | basenc --base16 -w0)))
    { printf 'cosignature/v1\ntime %s\n' "$ctime"; cat "$t/text"; } > "$t/cotext"
    tail -c 64 "$t/cosig" > "$t/cosigsig"
    { printf '\060\052\060\005\006\003\053\145\160\003\041\000'; printf '%s' "$WKEY" | cut -d+ -f3- | base64 -d | tail -c 32; } > "$t/wkey.der"
    openssl pkeyutl -verify -pubin -keyform DER -inkey "$t/wkey.der" -rawin -in "$t/cotext" -sigfile "$t/cosigsig"
    same 'witness key id' "$( { printf '%s\n\004' "$wname"; printf '%s' "$WKEY" | cut -d+ -f3- | base64 -d | tail -c 32; } | sha256sum | cut -c1-8)" "$(printf '%s' "$WKEY" | cut -d+ -f2)"
    same 'cosignature key id' "$(head -c 4 "$t/cosig" | basenc --base16 -w0 | tr 'ABCDEF' 'abcdef')" "$(printf '%s' "$WKEY" | cut -d+ -f2)"
    echo "cosigned at $ctime seconds since 1970"
    fi

  OpenSSL must print "Signature Verified Successfully" and both key ids must be OK.
  gawah-verify checks this with --witness KEY (repeatable) and --min-witnesses N.
"#;

/// The witness keys and how many must have cosigned, checked before anything is read.
#[derive(Debug, Clone)]
pub(crate) struct WitnessPolicy {
    pub(crate) witnesses: Vec<CosignatureVerifier>,
    pub(crate) min: usize,
}

impl WitnessPolicy {
    /// Parses the keys; the threshold defaults to all of them and may not exceed them.
    pub(crate) fn parse(keys: &[String], min: Option<usize>) -> Result<Self, String> {
        let witnesses = keys
            .iter()
            .map(|k| {
                CosignatureVerifier::parse(k.trim())
                    .map_err(|e| format!("{k:?} is not a witness key: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let min = min.unwrap_or(witnesses.len());
        if min > witnesses.len() {
            return Err(format!(
                "at least {min} witnesses are required but only {} witness keys were given",
                witnesses.len()
            ));
        }
        Ok(Self { witnesses, min })
    }

    /// Reports each witness and the threshold. `note` is the bundle's checkpoint note, or
    /// `None` when it did not verify with the log key.
    pub(crate) fn check(&self, report: &mut Report, log: &NoteVerifier, note: Option<&str>) {
        if self.witnesses.is_empty() && self.min == 0 {
            return;
        }
        let opened = note.map(|n| open_note(n, std::slice::from_ref(log)));
        let Some(Ok(opened)) = opened else {
            return report.push(
                WHAT,
                Outcome::Fail(
                    "cosignatures not checked: the checkpoint did not verify with the log key"
                        .into(),
                ),
            );
        };
        let mut valid = 0;
        for w in &self.witnesses {
            let who = format!("{} (key id {})", w.name(), hex::encode(w.key_id()));
            let outcome = match w.check(&opened.text, &opened.unverified) {
                CosignatureCheck::Valid { time } => {
                    valid += 1;
                    Outcome::Pass(format!(
                        "cosigned by {who} at {} (as the witness states)",
                        utc(time)
                    ))
                }
                CosignatureCheck::Missing => {
                    Outcome::Note(format!("no cosignature by {who} on the checkpoint"))
                }
                CosignatureCheck::Bad(e) => Outcome::Fail(format!(
                    "the cosignature by {who} does not verify ({e}): the checkpoint or the cosignature was altered"
                )),
            };
            report.push(WHAT, outcome);
        }
        let n = self.witnesses.len();
        let outcome = if valid >= self.min {
            Outcome::Pass(format!(
                "{valid} of {n} witnesses cosigned the checkpoint (at least {} required)",
                self.min
            ))
        } else {
            Outcome::Fail(format!(
                "only {valid} of {n} witnesses cosigned the checkpoint; at least {} required: the log's checkpoint is not vouched for by the witnesses you trust",
                self.min
            ))
        };
        report.push("witnesses", outcome);
    }
}

/// POSIX seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian calendar, UTC).
pub(crate) fn utc(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rem = seconds % 86_400;
    // Days since 1970-01-01 to a civil date, counted in 400-year eras from 0000-03-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_matches_known_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_629_072_000), "2021-08-16T00:00:00Z");
        assert_eq!(utc(1_767_225_599), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn the_threshold_may_not_exceed_the_keys() {
        assert!(WitnessPolicy::parse(&[], Some(1)).is_err());
        assert!(WitnessPolicy::parse(&["not a key".into()], None).is_err());
        let p = WitnessPolicy::parse(&[], None).unwrap();
        assert_eq!(p.min, 0);
    }
}
