//! Tooth numbers and surfaces for oral claims.

use crate::generate::rng::Rng;

/// ADA universal tooth numbers and primary-tooth letters.
pub(super) const TEETH: [&str; 32] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17",
    "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
];

pub(super) const PRIMARY_TEETH: [&str; 20] = [
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
    "T",
];

pub(super) const MOLARS: [usize; 8] = [2, 3, 14, 15, 18, 19, 30, 31];

pub(super) fn is_anterior(tooth: &str) -> bool {
    match tooth.parse::<u32>() {
        Ok(n) => (6..=11).contains(&n) || (22..=27).contains(&n),
        Err(_) => matches!(
            tooth,
            "C" | "D" | "E" | "F" | "G" | "H" | "M" | "N" | "O" | "P" | "Q" | "R"
        ),
    }
}

/// `count` distinct surfaces valid for the tooth, in the conventional order.
pub(super) fn surfaces(r: &mut Rng, tooth: &str, count: u8) -> String {
    let order: &[char] = if is_anterior(tooth) {
        &['M', 'I', 'D', 'F', 'L']
    } else {
        &['M', 'O', 'D', 'B', 'L']
    };
    let mut chosen = [false; 5];
    let mut n = 0;
    // Occlusal/incisal first, then neighbours: realistic MO, DO, MOD, OB…
    chosen[1] = true;
    n += 1;
    while n < count.min(5) {
        let i = r.index(5);
        if !chosen[i] {
            chosen[i] = true;
            n += 1;
        }
    }
    order
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(ch, _)| *ch)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_teeth_are_anterior() {
        for t in ["6", "8", "11", "22", "27", "C", "H", "M", "R"] {
            assert!(is_anterior(t), "{t}");
        }
        for t in ["1", "3", "14", "19", "30", "32", "A", "J", "K", "T"] {
            assert!(!is_anterior(t), "{t}");
        }
    }

    #[test]
    fn surfaces_are_distinct_valid_for_the_tooth_and_include_the_biting_surface() {
        let mut r = Rng::new(3);
        for tooth in TEETH.iter().chain(PRIMARY_TEETH.iter()) {
            let (valid, biting) = if is_anterior(tooth) {
                ("MIDFL", 'I')
            } else {
                ("MODBL", 'O')
            };
            for count in 1..=6u8 {
                let s = surfaces(&mut r, tooth, count);
                assert_eq!(s.len(), usize::from(count.min(5)), "{tooth} {s}");
                assert!(s.contains(biting), "{tooth} {s}");
                // In the conventional order, so each letter at most once.
                let order: Vec<usize> =
                    s.chars().map(|ch| valid.find(ch).expect("valid")).collect();
                assert!(order.windows(2).all(|w| w[0] < w[1]), "{tooth} {s}");
            }
        }
        for m in MOLARS {
            assert!(!is_anterior(TEETH[m - 1]));
        }
    }
}
