//! Synthetic beneficiaries: `BBUser{n:05}` / `PW{n:05}!`, the Blue Button sandbox convention,
//! each bound to the generated member `M{n:05}`. Nothing is stored or hashed per user: the
//! password follows from the name, so 30,000 logins cost nothing at first start.

use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::fhir::id::id_for;
use crate::store::{ReadTx, StoreError};

/// A signed-in beneficiary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiary {
    pub username: String,
    pub patient: String,
}

/// The member number behind a synthetic login name (`BBUser00042` → 42), any letter case.
pub fn login_number(username: &str) -> Option<u32> {
    let digits = username
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("bbuser"))
        .and(username.get(6..))?;
    if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub fn username_for(n: u32) -> String {
    format!("BBUser{n:05}")
}

pub fn password_for(n: u32) -> String {
    format!("PW{n:05}!")
}

/// The Patient id of synthetic member `n` (the generator's member id `M{n:05}`).
pub fn patient_for(n: u32) -> String {
    id_for(&crate::generate::member_id(u64::from(n)))
}

/// Checks a synthetic login against the loaded data. Wrong name or password and a member
/// that is not in this data set are all the same answer to the caller (None).
pub fn authenticate(
    read: &ReadTx,
    username: &str,
    password: &str,
) -> Result<Option<Beneficiary>, StoreError> {
    let Some(n) = login_number(username.trim()) else {
        return Ok(None);
    };
    let expected = password_for(n);
    if !bool::from(expected.as_bytes().ct_eq(password.as_bytes())) {
        return Ok(None);
    }
    let patient = patient_for(n);
    if !read.exists("Patient", &patient)? {
        return Ok(None);
    }
    Ok(Some(Beneficiary {
        username: username_for(n),
        patient,
    }))
}

/// The login name shown for a patient: its synthetic login when it has one, else its id.
pub fn username_of_patient(patient: &str) -> String {
    patient
        .strip_prefix('M')
        .filter(|d| d.len() == 5 && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .map_or_else(|| patient.to_string(), username_for)
}

/// One row of the patient picker.
#[derive(Debug, Clone)]
pub struct PickerEntry {
    pub patient: String,
    pub username: String,
    pub name: String,
    pub birth_date: String,
}

/// The first `limit` patients of the data set, for the sign-in page's picker.
pub fn picker(read: &ReadTx, limit: usize) -> Result<Vec<PickerEntry>, StoreError> {
    Ok(read
        .first("Patient", limit)?
        .into_iter()
        .map(|(id, json)| {
            let resource: Value = serde_json::from_slice(&json).unwrap_or(Value::Null);
            PickerEntry {
                username: username_of_patient(&id),
                name: display_name(&resource),
                birth_date: resource["birthDate"].as_str().unwrap_or("").to_string(),
                patient: id,
            }
        })
        .collect())
}

/// A Patient's name for pages and the `name` claim (see [`crate::fhir::display::person_name`]).
pub fn display_name(patient: &Value) -> String {
    crate::fhir::display::person_name(patient).unwrap_or_else(|| "(no name)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_follow_the_blue_button_convention() {
        assert_eq!(login_number("BBUser00042"), Some(42));
        assert_eq!(login_number("bbuser29999"), Some(29999));
        assert_eq!(login_number("BBUser0042"), None);
        assert_eq!(login_number("BBUser000420"), None);
        assert_eq!(login_number("BBUser-0042"), None);
        assert_eq!(login_number("ÄBUser00042"), None);
        assert_eq!(password_for(7), "PW00007!");
        assert_eq!(patient_for(7), "M00007");
        assert_eq!(username_of_patient("M00007"), "BBUser00007");
        assert_eq!(username_of_patient("h1234"), "h1234");
    }
}
