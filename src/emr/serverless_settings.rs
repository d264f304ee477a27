//! Two nested settings of an EMR Serverless application: `monitoring` (S3,
//! managed persistence, CloudWatch Logs, Amazon Managed Service for
//! Prometheus) and `scheduler` (job concurrency and queuing). Their schema,
//! model, plan-time checks (formats and the release labels the API
//! documents), and the conversion to and from the SDK's types.
//!
//! What is not configured is not managed: a sub-block left out of the
//! configuration is neither sent nor read back, so AWS's defaults (managed
//! persistence on, the scheduler on from emr-7.3.0) never show as drift.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_emrserverless::types::{
    CloudWatchLoggingConfiguration, ManagedPersistenceMonitoringConfiguration,
    MonitoringConfiguration, PrometheusMonitoringConfiguration, S3MonitoringConfiguration,
    SchedulerConfiguration,
};
use serde::{Deserialize, Serialize};

use crate::tfplugin::{
    AttrPath, Attribute, Block, Diagnostics, NestedBlock, Number, Planned, PlannedList, PlannedMap,
    Type, Value,
};

/// The scheduler needs emr-7.0.0 or later (EMR Serverless API reference).
pub const SCHEDULER_MIN_RELEASE: (u32, u32, u32) = (7, 0, 0);
/// Prometheus metrics need emr-7.1.0 or later (EMR Serverless user guide).
pub const PROMETHEUS_MIN_RELEASE: (u32, u32, u32) = (7, 1, 0);
const LOG_TYPE_KEYS_SPARK: [&str; 2] = ["SPARK_DRIVER", "SPARK_EXECUTOR"];
const LOG_TYPE_KEYS_HIVE: [&str; 2] = ["HIVE_DRIVER", "TEZ_TASK"];
const LOG_TYPE_VALUES: [&str; 5] = ["STDOUT", "STDERR", "HIVE_LOG", "TEZ_AM", "SYSTEM_LOGS"];

// ---------- schema and model ----------

fn kms(desc: &'static str) -> Attribute {
    Attribute::optional("kms_key_arn", Type::String).desc(desc)
}

pub fn monitoring_block() -> Block {
    let s3 = Block::new()
        .desc("Job logs to S3.")
        .attr(Attribute::required("log_uri", Type::String).desc("`s3://bucket/prefix/`."))
        .attr(kms("KMS key ARN for the logs."));
    let managed = Block::new()
        .desc("Logs kept by EMR Serverless (on by AWS default when this block is absent).")
        .attr(
            Attribute::optional("enabled", Type::Bool)
                .default(Value::Bool(true))
                .desc("Keep logs in managed storage."),
        )
        .attr(kms("KMS key ARN for the logs."));
    let cloudwatch = Block::new()
        .desc("Job logs to CloudWatch Logs.")
        .attr(Attribute::required("enabled", Type::Bool).desc("Send logs to CloudWatch."))
        .attr(Attribute::optional("log_group_name", Type::String).desc("Log group; `/aws/emr-serverless` when absent."))
        .attr(Attribute::optional("log_stream_name_prefix", Type::String).desc("Prefix of the log stream names."))
        .attr(kms("KMS key ARN for the log group."))
        .attr(Attribute::optional("log_types", Type::map(Type::list(Type::String))).desc("Worker type (SPARK_DRIVER, SPARK_EXECUTOR, HIVE_DRIVER, TEZ_TASK) to log types (STDOUT, STDERR, HIVE_LOG, TEZ_AM, SYSTEM_LOGS); driver STDOUT and STDERR when absent."));
    let prometheus = Block::new()
        .desc("Spark metrics to Amazon Managed Service for Prometheus (emr-7.1.0 or later).")
        .attr(
            Attribute::required("remote_write_url", Type::String)
                .desc("The workspace's remote write URL."),
        );
    Block::new()
        .desc("Where job logs and metrics go (`monitoringConfiguration`). Changing it stops a running application.")
        .block(NestedBlock::single("s3", s3))
        .block(NestedBlock::single("managed_persistence", managed))
        .block(NestedBlock::single("cloudwatch", cloudwatch))
        .block(NestedBlock::single("prometheus", prometheus))
}

pub fn scheduler_block() -> Block {
    Block::new()
        .desc("Job concurrency and queuing (emr-7.0.0 or later). A change of max_concurrent_runs alone is made without stopping the application; removing the block stops managing it.")
        .attr(
            Attribute::optional("max_concurrent_runs", Type::Number)
                .default(Value::number(15))
                .desc("Job runs at once, 1 to 1000."),
        )
        .attr(
            Attribute::optional("queue_timeout_minutes", Type::Number)
                .default(Value::number(360))
                .desc("How long a job may stay queued, 15 to 720 minutes."),
        )
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Monitoring {
    pub s3: Planned<S3Logs>,
    pub managed_persistence: Planned<ManagedPersistence>,
    pub cloudwatch: Planned<CloudWatch>,
    pub prometheus: Planned<Prometheus>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct S3Logs {
    pub log_uri: Planned<String>,
    pub kms_key_arn: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct ManagedPersistence {
    pub enabled: Planned<bool>,
    pub kms_key_arn: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct CloudWatch {
    pub enabled: Planned<bool>,
    pub log_group_name: Planned<String>,
    pub log_stream_name_prefix: Planned<String>,
    pub kms_key_arn: Planned<String>,
    pub log_types: PlannedMap<Vec<Planned<String>>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Prometheus {
    pub remote_write_url: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Scheduler {
    pub max_concurrent_runs: Planned<Number>,
    pub queue_timeout_minutes: Planned<Number>,
}

// ---------- checks ----------

fn log_uri(s: &str) -> Result<(), String> {
    crate::validate::s3_uri(s).map(drop)
}

fn log_group(s: &str) -> Result<(), String> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || b"._-/#".contains(&b);
    match !s.is_empty() && s.len() <= 512 && s.bytes().all(ok) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not a log group name (1 to 512 letters, digits and ._-/#)."
        )),
    }
}

fn stream_prefix(s: &str) -> Result<(), String> {
    match !s.is_empty() && s.len() <= 512 && !s.contains([':', '*']) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not a log stream prefix (1 to 512 characters, no : or *)."
        )),
    }
}

/// `https://aps-workspaces.<region>.amazonaws.com[.cn]/workspaces/<id>/api/v1/remote_write`.
fn remote_write_url(s: &str) -> Result<(), String> {
    let bad = || {
        format!("{s:?} is not an Amazon Managed Service for Prometheus remote write URL (https://aps-workspaces.<region>.amazonaws.com/workspaces/<workspace id>/api/v1/remote_write).")
    };
    let rest = s.strip_prefix("https://aps-workspaces.").ok_or_else(bad)?;
    let (host, path) = rest.split_once('/').ok_or_else(bad)?;
    let (region, suffix) = host.split_once('.').ok_or_else(bad)?;
    let id = path
        .strip_prefix("workspaces/")
        .and_then(|p| p.strip_suffix("/api/v1/remote_write"))
        .ok_or_else(bad)?;
    let id_ok = |b: u8| b.is_ascii_alphanumeric() || b"-_.".contains(&b);
    let ok = crate::validate::aws_region(region).is_ok()
        && suffix.starts_with("amazonaws.")
        && !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(id_ok);
    ok.then_some(()).ok_or_else(bad)
}

fn in_range(n: &Planned<Number>, lo: i64, hi: i64) -> bool {
    n.known()
        .is_none_or(|n| n.to_i64().is_some_and(|i| (lo..=hi).contains(&i)))
}

/// Plan-time checks of both blocks, for an application of `kind` (upper
/// case) on `release` (parsed label).
pub fn check(
    d: &mut Diagnostics,
    monitoring: &Planned<Monitoring>,
    scheduler: &Planned<Scheduler>,
    kind: Option<&str>,
    release: Option<(u32, u32, u32)>,
) {
    let p = AttrPath::parse_dotted;
    let older = |min: (u32, u32, u32)| release.is_some_and(|r| r < min);
    if let Some(s) = scheduler.known() {
        if older(SCHEDULER_MIN_RELEASE) {
            let msg = "scheduler (job concurrency and queuing) needs emr-7.0.0 or later.";
            d.attr_error(p("release_label"), "Release too old for the scheduler", msg);
        }
        if !in_range(&s.max_concurrent_runs, 1, 1000) {
            let msg = "max_concurrent_runs must be a whole number from 1 to 1000.";
            d.attr_error(
                p("scheduler.max_concurrent_runs"),
                "Invalid concurrency",
                msg,
            );
        }
        if !in_range(&s.queue_timeout_minutes, 15, 720) {
            let msg = "queue_timeout_minutes must be a whole number from 15 to 720.";
            d.attr_error(
                p("scheduler.queue_timeout_minutes"),
                "Invalid queue timeout",
                msg,
            );
        }
    }
    let Some(m) = monitoring.known() else {
        return;
    };
    type Rule = fn(&str) -> Result<(), String>;
    let mut rules: Vec<(&str, Option<&str>, Rule)> = Vec::new();
    if let Some(s3) = m.s3.known() {
        rules.push(("monitoring.s3.log_uri", s3.log_uri.as_str(), log_uri));
        let key = s3.kms_key_arn.as_str();
        rules.push((
            "monitoring.s3.kms_key_arn",
            key,
            crate::validate::kms_key_arn,
        ));
    }
    if let Some(mp) = m.managed_persistence.known() {
        let key = mp.kms_key_arn.as_str();
        let at = "monitoring.managed_persistence.kms_key_arn";
        rules.push((at, key, crate::validate::kms_key_arn));
    }
    if let Some(cw) = m.cloudwatch.known() {
        rules.push((
            "monitoring.cloudwatch.log_group_name",
            cw.log_group_name.as_str(),
            log_group,
        ));
        rules.push((
            "monitoring.cloudwatch.log_stream_name_prefix",
            cw.log_stream_name_prefix.as_str(),
            stream_prefix,
        ));
        rules.push((
            "monitoring.cloudwatch.kms_key_arn",
            cw.kms_key_arn.as_str(),
            crate::validate::kms_key_arn,
        ));
        check_log_types(d, &cw.log_types, kind);
    }
    if let Some(pm) = m.prometheus.known() {
        let url = pm.remote_write_url.as_str();
        rules.push((
            "monitoring.prometheus.remote_write_url",
            url,
            remote_write_url,
        ));
        if older(PROMETHEUS_MIN_RELEASE) {
            let msg = "monitoring.prometheus needs emr-7.1.0 or later.";
            d.attr_error(p("release_label"), "Release too old for Prometheus", msg);
        }
    }
    for (at, value, rule) in rules {
        if let Some(Err(msg)) = value.map(rule) {
            d.attr_error(p(at), "Invalid monitoring setting", msg);
        }
    }
}

fn check_log_types(
    d: &mut Diagnostics,
    types: &PlannedMap<Vec<Planned<String>>>,
    kind: Option<&str>,
) {
    let keys: &[&str] = match kind {
        Some("HIVE") => &LOG_TYPE_KEYS_HIVE,
        Some("SPARK") => &LOG_TYPE_KEYS_SPARK,
        _ => &[],
    };
    let at = || AttrPath::parse_dotted("monitoring.cloudwatch.log_types");
    for (worker, values) in types.known().into_iter().flatten() {
        if !keys.is_empty() && !keys.contains(&worker.as_str()) {
            let msg = format!(
                "log_types key {worker:?} is not a worker type of this application ({}).",
                keys.join(", ")
            );
            d.attr_error(at(), "Invalid log type", msg);
        }
        let known = values
            .known()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str());
        for v in known {
            // Exactly as EMR Serverless spells them: it returns them in
            // upper case, so another spelling would be a diff after import.
            if !LOG_TYPE_VALUES.contains(&v) {
                let msg = format!(
                    "{v:?} is not a log type ({}, in upper case).",
                    LOG_TYPE_VALUES.join(", ")
                );
                d.attr_error(at(), "Invalid log type", msg);
            }
        }
    }
}

// ---------- to and from the API ----------

fn log_types_of(cw: &CloudWatch) -> Option<HashMap<String, Vec<String>>> {
    let types = cw.log_types.known()?;
    let entries = types.iter().map(|(k, v)| {
        let values = v.known().into_iter().flatten().filter_map(|x| x.as_str());
        (k.clone(), values.map(str::to_ascii_uppercase).collect())
    });
    Some(entries.collect())
}

/// The monitoring configuration to send: exactly the configured sub-blocks
/// (an empty configuration when the block is gone).
pub fn monitoring_to_sdk(m: Option<&Monitoring>) -> MonitoringConfiguration {
    let Some(m) = m else {
        return MonitoringConfiguration::builder().build();
    };
    let key = |k: &Planned<String>| k.known().cloned();
    let s3 = m.s3.known().map(|s| {
        S3MonitoringConfiguration::builder()
            .set_log_uri(s.log_uri.known().cloned())
            .set_encryption_key_arn(key(&s.kms_key_arn))
            .build()
    });
    let managed = m.managed_persistence.known().map(|mp| {
        ManagedPersistenceMonitoringConfiguration::builder()
            .enabled(mp.enabled.get_or(true))
            .set_encryption_key_arn(key(&mp.kms_key_arn))
            .build()
    });
    let cloudwatch = m.cloudwatch.known().map(|cw| {
        CloudWatchLoggingConfiguration::builder()
            .enabled(cw.enabled.get_or(false))
            .set_log_group_name(key(&cw.log_group_name))
            .set_log_stream_name_prefix(key(&cw.log_stream_name_prefix))
            .set_encryption_key_arn(key(&cw.kms_key_arn))
            .set_log_types(log_types_of(cw))
            .build()
    });
    let cloudwatch = cloudwatch.and_then(Result::ok);
    let prometheus = m.prometheus.known().map(|pm| {
        PrometheusMonitoringConfiguration::builder()
            .set_remote_write_url(pm.remote_write_url.known().cloned())
            .build()
    });
    MonitoringConfiguration::builder()
        .set_s3_monitoring_configuration(s3)
        .set_managed_persistence_monitoring_configuration(managed)
        .set_cloud_watch_logging_configuration(cloudwatch)
        .set_prometheus_monitoring_configuration(prometheus)
        .build()
}

pub fn scheduler_to_sdk(s: &Scheduler) -> SchedulerConfiguration {
    let n = |v: &Planned<Number>| v.known().and_then(Number::to_i64);
    let n = |v: &Planned<Number>| n(v).and_then(|x| i32::try_from(x).ok());
    SchedulerConfiguration::builder()
        .set_max_concurrent_runs(n(&s.max_concurrent_runs))
        .set_queue_timeout_minutes(n(&s.queue_timeout_minutes))
        .build()
}

/// Log types as recorded where they match what AWS returns (case aside).
fn log_types_from(
    recorded: &PlannedMap<Vec<Planned<String>>>,
    remote: Option<&HashMap<String, Vec<String>>>,
) -> PlannedMap<Vec<Planned<String>>> {
    let Some(remote) = remote else {
        return recorded.clone();
    };
    let upper = |m: &BTreeMap<String, Vec<String>>| -> BTreeMap<String, Vec<String>> {
        let up = |v: &Vec<String>| v.iter().map(|x| x.to_ascii_uppercase()).collect();
        m.iter().map(|(k, v)| (k.clone(), up(v))).collect()
    };
    let remote: BTreeMap<String, Vec<String>> =
        remote.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let had: Option<BTreeMap<String, Vec<String>>> = recorded.known().map(|m| {
        let vals = |v: &PlannedList<String>| v.known_elems().cloned().collect();
        m.iter().map(|(k, v)| (k.clone(), vals(v))).collect()
    });
    match had {
        Some(h) if upper(&h) == upper(&remote) => recorded.clone(),
        _ => PlannedMap::of(
            remote
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(Planned::Known).collect())),
        ),
    }
}

/// `recorded` sub-block updated from AWS's (`None`: AWS has none).
fn sub<T: Clone, R>(
    recorded: &Planned<T>,
    remote: Option<&R>,
    importing: bool,
    from: impl FnOnce(Option<&T>, &R) -> T,
) -> Planned<T> {
    match (recorded.known(), remote) {
        (None, Some(r)) if importing => Planned::Known(from(None, r)),
        (None, _) => recorded.clone(),
        (Some(t), Some(r)) => Planned::Known(from(Some(t), r)),
        (Some(_), None) => Planned::Null,
    }
}

/// The monitoring block from what AWS returns. Sub-blocks the state does
/// not have stay out (AWS defaults), except on import; a configuration AWS
/// leaves out entirely keeps the recorded one (the emulator stores none).
pub fn monitoring_from(
    recorded: &Planned<Monitoring>,
    remote: Option<&MonitoringConfiguration>,
    importing: bool,
) -> Planned<Monitoring> {
    let Some(r) = remote else {
        return recorded.clone();
    };
    if recorded.is_null() && !importing {
        return Planned::Null;
    }
    let had = recorded.known().cloned().unwrap_or_default();
    let text = |s: Option<&str>| Planned::from(s.map(str::to_string));
    let m = Monitoring {
        s3: sub(
            &had.s3,
            r.s3_monitoring_configuration(),
            importing,
            |_, s| S3Logs {
                log_uri: text(s.log_uri()),
                kms_key_arn: text(s.encryption_key_arn()),
            },
        ),
        managed_persistence: sub(
            &had.managed_persistence,
            r.managed_persistence_monitoring_configuration(),
            importing,
            |_, mp| ManagedPersistence {
                enabled: Planned::Known(mp.enabled().unwrap_or(true)),
                kms_key_arn: text(mp.encryption_key_arn()),
            },
        ),
        cloudwatch: sub(
            &had.cloudwatch,
            r.cloud_watch_logging_configuration(),
            importing,
            |was, cw| {
                // Optional settings left unset are AWS's defaults: not read back.
                let unset = |f: fn(&CloudWatch) -> bool| was.is_some_and(f);
                let opt = |unset: bool, v: Option<&str>| match unset {
                    true => Planned::Null,
                    false => text(v),
                };
                let types = was.map(|w| w.log_types.clone()).unwrap_or_default();
                CloudWatch {
                    enabled: Planned::Known(cw.enabled()),
                    log_group_name: opt(unset(|w| w.log_group_name.is_null()), cw.log_group_name()),
                    log_stream_name_prefix: opt(
                        unset(|w| w.log_stream_name_prefix.is_null()),
                        cw.log_stream_name_prefix(),
                    ),
                    kms_key_arn: text(cw.encryption_key_arn()),
                    log_types: match unset(|w| w.log_types.is_null()) {
                        true => Planned::Null,
                        false => log_types_from(&types, cw.log_types()),
                    },
                }
            },
        ),
        prometheus: sub(
            &had.prometheus,
            r.prometheus_monitoring_configuration(),
            importing,
            |_, pm| Prometheus {
                remote_write_url: text(pm.remote_write_url()),
            },
        ),
    };
    let empty = m == Monitoring::default();
    match empty && importing {
        true => Planned::Null,
        false => Planned::Known(m),
    }
}

/// The scheduler block from what AWS returns: managed only when configured
/// (or imported); AWS's silence keeps the recorded one.
pub fn scheduler_from(
    recorded: &Planned<Scheduler>,
    remote: Option<&SchedulerConfiguration>,
    importing: bool,
) -> Planned<Scheduler> {
    let Some(r) = remote else {
        return recorded.clone();
    };
    if recorded.is_null() && !importing {
        return Planned::Null;
    }
    let n = |x: Option<i32>, default: i64| {
        Planned::Known(Number::from_i64(x.map_or(default, i64::from)))
    };
    Planned::Known(Scheduler {
        max_concurrent_runs: n(r.max_concurrent_runs(), 15),
        queue_timeout_minutes: n(r.queue_timeout_minutes(), 360),
    })
}

/// How a scheduler change may be made on a STARTED application.
#[derive(Debug, PartialEq)]
pub enum SchedulerChange {
    /// Nothing to send (same, or the block was removed: AWS keeps it).
    None,
    /// Only max_concurrent_runs: AWS takes it while STARTED.
    WhileStarted,
    /// Anything else needs a stopped application.
    Restart,
}

pub fn scheduler_change(prior: &Planned<Scheduler>, plan: &Planned<Scheduler>) -> SchedulerChange {
    match (prior.known(), plan) {
        (_, Planned::Null) => SchedulerChange::None,
        (Some(a), Planned::Known(b)) if a == b => SchedulerChange::None,
        (Some(a), Planned::Known(b)) if a.queue_timeout_minutes == b.queue_timeout_minutes => {
            SchedulerChange::WhileStarted
        }
        _ => SchedulerChange::Restart,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(max: i64, queue: i64) -> Planned<Scheduler> {
        Planned::Known(Scheduler {
            max_concurrent_runs: Planned::Known(Number::from_i64(max)),
            queue_timeout_minutes: Planned::Known(Number::from_i64(queue)),
        })
    }

    #[test]
    fn only_concurrency_changes_while_started() {
        use SchedulerChange::*;
        assert_eq!(scheduler_change(&sched(15, 360), &sched(15, 360)), None);
        assert_eq!(
            scheduler_change(&sched(15, 360), &sched(30, 360)),
            WhileStarted
        );
        assert_eq!(scheduler_change(&sched(15, 360), &sched(15, 60)), Restart);
        assert_eq!(scheduler_change(&Planned::Null, &sched(15, 360)), Restart);
        assert_eq!(scheduler_change(&sched(15, 360), &Planned::Null), None);
        assert_eq!(
            scheduler_change(&sched(15, 360), &Planned::Unknown),
            Restart
        );
    }

    fn errors(m: Planned<Monitoring>, s: Planned<Scheduler>, rel: (u32, u32, u32)) -> String {
        let mut d = Diagnostics::new();
        check(&mut d, &m, &s, Some("SPARK"), Some(rel));
        format!("{d:?}")
    }

    #[test]
    fn release_minimums_and_ranges() {
        assert!(errors(Planned::Null, sched(15, 360), (6, 15, 0)).contains("emr-7.0.0"));
        assert!(!errors(Planned::Null, sched(15, 360), (7, 0, 0)).contains("emr-7.0.0"));
        assert!(errors(Planned::Null, sched(0, 360), (7, 0, 0)).contains("1 to 1000"));
        assert!(errors(Planned::Null, sched(15, 10), (7, 0, 0)).contains("15 to 720"));
        let prom = |url: &str| {
            Planned::Known(Monitoring {
                prometheus: Planned::Known(Prometheus {
                    remote_write_url: Planned::Known(url.into()),
                }),
                ..Monitoring::default()
            })
        };
        let good =
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1a2b/api/v1/remote_write";
        assert_eq!(
            errors(prom(good), Planned::Null, (7, 1, 0)),
            format!("{:?}", Diagnostics::new())
        );
        assert!(errors(prom(good), Planned::Null, (7, 0, 0)).contains("emr-7.1.0"));
        for bad in [
            "http://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
            "https://example.com/workspaces/ws-1/api/v1/remote_write",
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query",
        ] {
            assert!(
                errors(prom(bad), Planned::Null, (7, 1, 0)).contains("remote write URL"),
                "{bad}"
            );
        }
    }

    #[test]
    fn cloudwatch_log_types_and_names() {
        let cw = |group: &str, types: &[(&str, &[&str])]| {
            let types = types.iter().map(|(k, v)| {
                (
                    k.to_string(),
                    v.iter().map(|s| Planned::Known(s.to_string())).collect(),
                )
            });
            Planned::Known(Monitoring {
                cloudwatch: Planned::Known(CloudWatch {
                    enabled: Planned::Known(true),
                    log_group_name: Planned::Known(group.into()),
                    log_types: PlannedMap::of(types),
                    ..CloudWatch::default()
                }),
                ..Monitoring::default()
            })
        };
        let ok = errors(
            cw(
                "/emr-serverless",
                &[("SPARK_DRIVER", &["STDOUT", "STDERR"])],
            ),
            Planned::Null,
            (7, 8, 0),
        );
        assert_eq!(ok, format!("{:?}", Diagnostics::new()));
        assert!(errors(
            cw("/emr-serverless", &[("TEZ_TASK", &["STDOUT"])]),
            Planned::Null,
            (7, 8, 0)
        )
        .contains("TEZ_TASK"));
        assert!(errors(
            cw("/emr-serverless", &[("SPARK_DRIVER", &["stdout"])]),
            Planned::Null,
            (7, 8, 0)
        )
        .contains("in upper case"));
        assert!(errors(cw("bad group!", &[]), Planned::Null, (7, 8, 0)).contains("log group"));
    }

    #[test]
    fn what_is_not_configured_is_not_read_back() {
        let remote = MonitoringConfiguration::builder()
            .managed_persistence_monitoring_configuration(
                ManagedPersistenceMonitoringConfiguration::builder()
                    .enabled(true)
                    .build(),
            )
            .s3_monitoring_configuration(
                S3MonitoringConfiguration::builder()
                    .log_uri("s3://b/logs/")
                    .build(),
            )
            .build();
        // Not configured: stays out.
        assert_eq!(
            monitoring_from(&Planned::Null, Some(&remote), false),
            Planned::Null
        );
        // CloudWatch configured without a log group: AWS's default group and
        // log types are not read back.
        let cw = Planned::Known(Monitoring {
            cloudwatch: Planned::Known(CloudWatch {
                enabled: Planned::Known(true),
                ..CloudWatch::default()
            }),
            ..Monitoring::default()
        });
        let defaults = MonitoringConfiguration::builder()
            .cloud_watch_logging_configuration(
                CloudWatchLoggingConfiguration::builder()
                    .enabled(true)
                    .log_group_name("/aws/emr-serverless")
                    .log_types("SPARK_DRIVER", vec!["STDOUT".into(), "STDERR".into()])
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(monitoring_from(&cw, Some(&defaults), false), cw);
        // Configured with s3 only: managed persistence (AWS's default) stays out.
        let s3_only = Planned::Known(Monitoring {
            s3: Planned::Known(S3Logs {
                log_uri: Planned::Known("s3://b/old/".into()),
                kms_key_arn: Planned::Null,
            }),
            ..Monitoring::default()
        });
        let read = monitoring_from(&s3_only, Some(&remote), false);
        let m = read.known().unwrap();
        assert_eq!(m.s3.known().unwrap().log_uri.as_str(), Some("s3://b/logs/"));
        assert!(m.managed_persistence.is_null());
        // Import takes everything AWS has.
        let imported = monitoring_from(&Planned::Null, Some(&remote), true);
        assert!(imported.known().unwrap().managed_persistence.is_known());
        // AWS silent: the recorded block stays (the emulator stores none).
        assert_eq!(monitoring_from(&s3_only, None, false), s3_only);
        // Removed out of band: the sub-block goes, and the plan puts it back.
        let empty = MonitoringConfiguration::builder().build();
        let drift = monitoring_from(&s3_only, Some(&empty), false);
        assert!(drift.known().unwrap().s3.is_null());
    }

    #[test]
    fn the_request_carries_exactly_the_configured_sub_blocks() {
        let m = Monitoring {
            cloudwatch: Planned::Known(CloudWatch {
                enabled: Planned::Known(true),
                log_types: PlannedMap::of([(
                    "SPARK_DRIVER".to_string(),
                    vec![Planned::Known("stdout".to_string())],
                )]),
                ..CloudWatch::default()
            }),
            ..Monitoring::default()
        };
        let sent = monitoring_to_sdk(Some(&m));
        assert!(sent.s3_monitoring_configuration().is_none());
        assert!(sent
            .managed_persistence_monitoring_configuration()
            .is_none());
        let cw = sent.cloud_watch_logging_configuration().unwrap();
        assert_eq!(
            cw.log_types().unwrap()["SPARK_DRIVER"],
            vec!["STDOUT".to_string()]
        );
        let cleared = monitoring_to_sdk(None);
        assert_eq!(cleared, MonitoringConfiguration::builder().build());
    }
}
