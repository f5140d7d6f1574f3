// A quantile given twice (by any spelling) is blamed at its second pair.
promscribe::summary!(S, "s_seconds", "help", quantiles = [(0.5, 0.05), (0.9, 0.01), (0.50, 0.01)]);

fn main() {
    S.observe(1.0);
}
