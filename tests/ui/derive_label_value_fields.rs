// Variants with fields are refused, each at its fields; the others are fine.
#[derive(promscribe::LabelValue)]
enum Outcome {
    Ok,
    Failed(String),
    Retried { times: u32 },
}

fn main() {}
