// A union is refused too.
#[derive(promscribe::LabelValue)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
