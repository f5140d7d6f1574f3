// Two variants rendering the same text would be one series: refused, at
// the second. An unknown option is refused at its name.
#[derive(promscribe::LabelValue)]
enum Method {
    Get,
    #[label(rename = "get")]
    Fetch,
    #[label(renmae = "x")]
    Post,
}

fn main() {}
