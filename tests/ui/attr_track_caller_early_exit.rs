promscribe::counter!(C, "c_total", "help");

#[promscribe::count_exceptions(C)]
#[track_caller]
fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    let v: u32 = s.parse()?;
    Ok(v)
}

fn main() {
    let _ = parse("1");
}
