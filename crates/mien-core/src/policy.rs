//! Where the app is used decides what it may do. Emotion inference in recruitment is prohibited in the EU/EEA
//! (AI Act Art. 5(1)(f), since 2 Feb 2025); consent does not cure it. There only "practice on yourself" sessions
//! are allowed. Elsewhere interviews may be analysed with the candidate's informed consent (Illinois AI Video
//! Interview Act, BIPA, Maryland, NYC LL 144 each add notice/consent/retention duties). Engineering input, not
//! legal advice.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// Not chosen yet: nothing but practice until an administrator decides.
    Unset,
    EuEea,
    Uk,
    UsIllinois,
    UsMaryland,
    UsNyc,
    UsOther,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    InterviewsAllowed,
    PracticeOnly,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 8] = [
        Self::Unset,
        Self::EuEea,
        Self::Uk,
        Self::UsIllinois,
        Self::UsMaryland,
        Self::UsNyc,
        Self::UsOther,
        Self::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Unset => "unset",
            Self::EuEea => "eu_eea",
            Self::Uk => "uk",
            Self::UsIllinois => "us_illinois",
            Self::UsMaryland => "us_maryland",
            Self::UsNyc => "us_nyc",
            Self::UsOther => "us_other",
            Self::Other => "other",
        }
    }

    pub fn policy(self) -> Policy {
        match self {
            Self::Unset | Self::EuEea => Policy::PracticeOnly,
            _ => Policy::InterviewsAllowed,
        }
    }

    /// Why the policy is what it is, in plain words (shown to the administrator and the interviewer).
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Unset => "No jurisdiction chosen yet: only practice sessions until an administrator sets one.",
            Self::EuEea => {
                "The EU AI Act (Art. 5(1)(f)) prohibits inferring emotions of people at work or in recruitment. \
                 Interview analysis is disabled; practising on yourself remains available."
            }
            Self::UsIllinois => {
                "Illinois: notify the candidate, explain the analysis and obtain consent before the interview \
                 (820 ILCS 42); written release and a retention schedule (BIPA); delete on request within 30 days."
            }
            Self::UsMaryland => "Maryland: a signed waiver is required before facial analysis in an interview.",
            Self::UsNyc => "New York City: automated employment decision tools need a yearly bias audit and notice.",
            Self::Uk | Self::UsOther | Self::Other => {
                "Interviews may be analysed with the candidate's informed consent; check local law with counsel."
            }
        }
    }
}

impl std::str::FromStr for Jurisdiction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.replace('-', "_").to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|j| j.name() == norm)
            .ok_or_else(|| format!("unknown jurisdiction `{s}` (one of: {})", Self::ALL.map(|j| j.name()).join(", ")))
    }
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Self::InterviewsAllowed => "interviews_allowed",
            Self::PracticeOnly => "practice_only",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_and_unset_are_practice_only() {
        assert_eq!(Jurisdiction::EuEea.policy(), Policy::PracticeOnly);
        assert_eq!(Jurisdiction::Unset.policy(), Policy::PracticeOnly);
        assert_eq!(Jurisdiction::UsIllinois.policy(), Policy::InterviewsAllowed);
        for j in Jurisdiction::ALL {
            assert_eq!(j.name().parse::<Jurisdiction>(), Ok(j));
            assert!(!j.explanation().is_empty());
        }
        assert_eq!("eu-eea".parse::<Jurisdiction>(), Ok(Jurisdiction::EuEea));
    }
}
