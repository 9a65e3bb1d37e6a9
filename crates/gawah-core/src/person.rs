//! People: victims, witnesses and perpetrators, pseudonymised.
//!
//! A person is known inside the organisation by a pseudonym; their name, contact and notes
//! are confidential and only ever stored sealed. Who did what to whom is recorded as acts
//! (an incident has acts; an act has victims and perpetrators), so one person can appear in
//! many incidents and one incident can involve many people.

use serde::{Deserialize, Serialize};

use crate::incident::{FieldError, err, optional};

const MAX_SHORT: usize = 200;
const MAX_NOTES: usize = 20_000;

/// What part a person plays.
pub const PERSON_ROLES: [&str; 3] = ["victim", "witness", "perpetrator"];
/// Age groups, as commonly reported.
pub const AGE_GROUPS: [&str; 4] = ["child", "adolescent", "adult", "elderly"];

/// A person as given through the API or a form, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// How the person is called inside the organisation (internal).
    #[serde(default)]
    pub pseudonym: String,
    /// Parts played: victim, witness, perpetrator (internal).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Gender as reported (internal).
    #[serde(default)]
    pub gender: Option<String>,
    /// Age group (internal).
    #[serde(default)]
    pub age_group: Option<String>,
    /// Real name (confidential).
    #[serde(default)]
    pub name: Option<String>,
    /// Contact (confidential).
    #[serde(default)]
    pub contact: Option<String>,
    /// Notes (confidential).
    #[serde(default)]
    pub notes: Option<String>,
}

/// The internal part of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInternal {
    /// Pseudonym.
    pub pseudonym: String,
    /// Parts played.
    pub roles: Vec<String>,
    /// Gender as reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Age group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_group: Option<String>,
}

/// The confidential part of a person: only ever stored sealed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonConfidential {
    /// Real name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl std::fmt::Debug for PersonConfidential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonConfidential(<redacted>)")
    }
}

impl PersonInput {
    /// Validates every field, naming each one that is wrong.
    pub fn validate(&self) -> Result<(PersonInternal, PersonConfidential), Vec<FieldError>> {
        let mut errors = Vec::new();
        let pseudonym = self.pseudonym.trim();
        if pseudonym.is_empty() {
            errors.push(err("pseudonym", "a pseudonym is required"));
        } else if pseudonym.chars().count() > MAX_SHORT {
            errors.push(err("pseudonym", format!("at most {MAX_SHORT} characters")));
        }
        let mut roles: Vec<String> = Vec::new();
        for r in &self.roles {
            let r = r.trim();
            if PERSON_ROLES.contains(&r) {
                roles.push(r.to_owned());
            } else {
                errors.push(err(
                    "roles",
                    format!("unknown role {r:?}; use victim, witness or perpetrator"),
                ));
            }
        }
        roles.sort();
        roles.dedup();
        let gender = optional("gender", &self.gender, 50, &mut errors);
        let age_group = optional("age_group", &self.age_group, 50, &mut errors);
        if let Some(a) = &age_group
            && !AGE_GROUPS.contains(&a.as_str())
        {
            errors.push(err("age_group", "use child, adolescent, adult or elderly"));
        }
        let confidential = PersonConfidential {
            name: optional("name", &self.name, MAX_SHORT, &mut errors),
            contact: optional("contact", &self.contact, MAX_SHORT, &mut errors),
            notes: optional("notes", &self.notes, MAX_NOTES, &mut errors),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            PersonInternal {
                pseudonym: pseudonym.to_owned(),
                roles,
                gender,
                age_group,
            },
            confidential,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_out_of_the_internal_part() {
        let (internal, conf) = PersonInput {
            pseudonym: "W-17".into(),
            roles: vec!["witness".into(), "victim".into(), "witness".into()],
            name: Some("canary-name".into()),
            ..PersonInput::default()
        }
        .validate()
        .unwrap();
        assert_eq!(internal.roles, ["victim", "witness"]);
        assert!(!serde_json::to_string(&internal).unwrap().contains("canary"));
        assert_eq!(conf.name.as_deref(), Some("canary-name"));
        assert!(!format!("{conf:?}").contains("canary"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let errors = PersonInput {
            roles: vec!["bystander".into()],
            age_group: Some("ancient".into()),
            ..PersonInput::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["pseudonym", "roles", "age_group"]);
    }
}
