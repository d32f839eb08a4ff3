//! Known-answer tests of the generator's own pseudo-random numbers: the
//! files are only reproducible if these never change.

use rapport_generate::rng::{Rng, SplitMix64};

/// SplitMix64 from seed 1234567: the values published with Vigna's
/// reference implementation and reproduced by other ports.
#[test]
fn splitmix64_known_answer() {
    let mut sm = SplitMix64::new(1_234_567);
    let got: Vec<u64> = (0..5).map(|_| sm.next_u64()).collect();
    assert_eq!(
        got,
        vec![
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ]
    );
}

/// xoshiro256** from the state {1, 2, 3, 4}, as the authors' C code gives.
#[test]
fn xoshiro256starstar_known_answer() {
    let mut r = Rng::from_state([1, 2, 3, 4]);
    let got: Vec<u64> = (0..6).map(|_| r.next_u64()).collect();
    assert_eq!(
        got,
        vec![
            11520,
            0,
            1509978240,
            1215971899390074240,
            1216172134540287360,
            607988272756665600,
        ]
    );
}

/// The samplers are pinned too: a change to any of them changes every file,
/// so it must be deliberate (update these values and say so).
#[test]
fn sampler_outputs_are_pinned() {
    let mut r = Rng::from_seed(42);
    let got = [
        r.uniform(),
        r.normal(),
        r.exponential(2.0),
        r.gamma(0.243, 4.414),
        r.gamma(6.25, 1.0),
        r.beta(0.793, 2.426),
        r.poisson(3.0) as f64,
    ];
    let text: Vec<String> = got.iter().map(|x| format!("{x:.12}")).collect();
    assert_eq!(text, PINNED, "sampler output changed");
}

const PINNED: [&str; 7] = [
    "0.083862971060",
    "-1.019525289125",
    "0.039146773789",
    "0.156833734698",
    "7.966313415563",
    "0.468531195687",
    "5.000000000000",
];
