//! Times the synthetic generator: `cargo run --release -p gawah-demo --example synthetic_speed [N]`.

use std::time::Instant;

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let start = Instant::now();
    let bytes: usize = gawah_demo::synthetic::incidents(1, n)
        .map(|i| i.description.len())
        .sum();
    println!(
        "{n} incidents, {bytes} description bytes, in {:?}",
        start.elapsed()
    );
    if let Some(sample) = gawah_demo::synthetic::incidents(1, 12).last() {
        println!("{sample:#?}");
    }
}
