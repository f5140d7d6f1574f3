//! Info and Enum: exact exposition, as Python's client writes them.

use promscribe::{enumeration, info, Enum, Family, Info, MetricError, Opts, States};

info!(IE_BUILD, "ie_build", "Build information");
info!(IE_SUFFIXED, "ie_version_info", "Suffix given");
enumeration!(
    IE_STATE,
    "ie_task_state",
    "Task state",
    states = ["starting", "running", "stopped"]
);
enumeration!(
    IE_DISKS,
    "ie_disk_state",
    "Disk state",
    labels = ["disk"],
    states = ["ok", "degraded"]
);
info!(IE_LIBS, "ie_lib", "Library versions", labels = ["lib"]);

fn ie_text() -> String {
    promscribe_test_support::exposition_of(|name| name.starts_with("ie_"))
}

#[test]
fn exact_exposition() {
    IE_BUILD
        .set([("version", "1.2.3"), ("buildhost", "foo@bar")])
        .expect("valid keys");
    IE_STATE.state("running").expect("declared state");
    IE_DISKS
        .labels(["sda"])
        .state("degraded")
        .expect("declared state");
    IE_DISKS.labels(["sdb"]);
    IE_LIBS
        .labels(["tokio"])
        .set([("version", "1")])
        .expect("valid");
    let want = r#"# HELP ie_build_info Build information
# TYPE ie_build_info gauge
ie_build_info{version="1.2.3",buildhost="foo@bar"} 1.0
# HELP ie_disk_state Disk state
# TYPE ie_disk_state gauge
ie_disk_state{disk="sda",ie_disk_state="ok"} 0.0
ie_disk_state{disk="sda",ie_disk_state="degraded"} 1.0
ie_disk_state{disk="sdb",ie_disk_state="ok"} 1.0
ie_disk_state{disk="sdb",ie_disk_state="degraded"} 0.0
# HELP ie_lib_info Library versions
# TYPE ie_lib_info gauge
ie_lib_info{lib="tokio",version="1"} 1.0
# HELP ie_task_state Task state
# TYPE ie_task_state gauge
ie_task_state{ie_task_state="starting"} 0.0
ie_task_state{ie_task_state="running"} 1.0
ie_task_state{ie_task_state="stopped"} 0.0
# HELP ie_version_info Suffix given
# TYPE ie_version_info gauge
ie_version_info 1.0
"#;
    let text = ie_text();
    assert_eq!(text, want);
    let (ok, report) = promscribe_test_support::promtool_check(&text);
    assert!(ok, "{report}");
}

#[test]
fn bad_updates_are_errors_and_change_nothing() {
    let e = Enum::new(
        Opts::new("door", "Door"),
        States::new(["open", "closed"]).expect("valid"),
    )
    .expect("valid");
    let err = e.state("ajar").expect_err("undeclared");
    assert_eq!(
        err.to_string(),
        "`ajar` is not a state of enum `door`; its states are: open, closed"
    );
    assert_eq!(e.get(), "open");

    let i = Info::new("build", "B").expect("valid");
    i.set([("version", "1")]).expect("valid");
    assert!(matches!(
        i.set([("__reserved", "x")]),
        Err(MetricError::InvalidLabelName { .. })
    ));
    assert!(matches!(
        i.set([("a", "x"), ("a", "y")]),
        Err(MetricError::DuplicateLabelName { .. })
    ));
    assert_eq!(i.get(), [("version".to_owned(), "1".to_owned())]);
}

#[test]
fn runtime_constructors_refuse_units_and_reserved_labels() {
    assert!(matches!(
        Info::with_opts(Opts::new("build", "B").unit("bytes")),
        Err(MetricError::UnitNotAllowed { .. })
    ));
    assert!(matches!(
        Enum::new(
            Opts::new("state", "S").unit("seconds"),
            States::new(["a"]).expect("valid")
        ),
        Err(MetricError::UnitNotAllowed { .. })
    ));
    assert!(matches!(
        Family::<Enum, 1>::with_states(
            Opts::new("state", "S").labels(["state"]),
            States::new(["a"]).expect("valid")
        ),
        Err(MetricError::ReservedLabelName { .. })
    ));
    assert!(States::new(Vec::<String>::new()).is_err());
}
