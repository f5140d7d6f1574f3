// `#[derive(LabelValue)]` takes only enums: a struct is refused at `struct`.
#[derive(promscribe::LabelValue)]
struct Method {
    name: String,
}

fn main() {}
