// SPDX-License-Identifier: GPL-2.0

//! What `auditns-runtime` reads of an OCI runtime's command line, bundle and
//! state, and the records it writes: no system calls, so that the host tests
//! cover all of it.

use serde_json::Value;
use std::fmt::Write;

/// The audit container ID that a task has when none was set.
pub const CONTID_UNSET: u64 = u64::MAX;

/// The annotation that chooses a container's audit container ID.
pub const CONTID_ANNOTATION: &str = "org.auditns.contid";

/// Annotations that name a container, the first present wins: those that
/// CRI runtimes and nerdctl set, which a user cannot override, then the
/// project's own.
pub const NAME_ANNOTATIONS: &[&str] = &[
    "io.kubernetes.cri.container-name",
    "io.kubernetes.cri-o.ContainerName",
    "nerdctl/name",
    "org.auditns.name",
];

/// The wrapper's own options, removed before the real runtime sees the
/// command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WrapperOptions {
    /// `--auditns-runtime=PATH`: the real runtime.
    pub runtime: Option<String>,
    /// `--auditns-allow-untagged`: run a container whose ID cannot be set,
    /// without one, rather than refuse it.
    pub allow_untagged: bool,
}

/// A runtime command line, split where the wrapper needs it.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandLine {
    /// The wrapper's options.
    pub wrapper: WrapperOptions,
    /// The runtime's global options, before the command.
    pub globals: Vec<String>,
    /// The command (`create`, `exec`, ...), if there is one.
    pub command: Option<String>,
    /// Everything after the command.
    pub args: Vec<String>,
}

/// Global options of crun and runc that take a value in the next word.
/// runc also takes each with one dash.
const GLOBALS_WITH_VALUE: &[&str] = &[
    "--root",
    "--log",
    "--log-format",
    "--log-level",
    "--criu",
    "--rootless",
    "--cgroup-manager",
    "-root",
    "-log",
    "-log-format",
    "-criu",
    "-rootless",
];

/// Splits the wrapper's arguments (without the program name).
pub fn split_command_line(args: &[String]) -> Result<CommandLine, String> {
    let mut wrapper = WrapperOptions::default();
    let mut globals = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if let Some(path) = word.strip_prefix("--auditns-runtime=") {
            if path.is_empty() {
                return Err("--auditns-runtime= needs a path".into());
            }
            wrapper.runtime = Some(path.into());
        } else if word == "--auditns-runtime" {
            let path = words.next().ok_or("--auditns-runtime needs a path")?;
            wrapper.runtime = Some(path.clone());
        } else if word == "--auditns-allow-untagged" {
            wrapper.allow_untagged = true;
        } else if word.starts_with("--auditns-") {
            return Err(format!("unknown option {word}"));
        } else if word.starts_with('-') {
            globals.push(word.clone());
            if GLOBALS_WITH_VALUE.contains(&word.as_str()) {
                globals.push(words.next().ok_or(format!("{word} needs a value"))?.clone());
            }
        } else {
            return Ok(CommandLine {
                wrapper,
                globals,
                command: Some(word.clone()),
                args: words.cloned().collect(),
            });
        }
    }
    Ok(CommandLine {
        wrapper,
        globals,
        command: None,
        args: Vec::new(),
    })
}

/// Options of a command that take a value in the next word, for
/// `create`/`run` and `exec` of crun and runc.
fn options_with_value(command: &str) -> &'static [&'static str] {
    match command {
        "create" | "run" => &[
            "--bundle",
            "-b",
            "--config",
            "-f",
            "--console-socket",
            "--pid-file",
            "--pidfd-socket",
            "--preserve-fds",
        ],
        "exec" => &[
            "--console-socket",
            "--cwd",
            "--env",
            "-e",
            "--pid-file",
            "--process",
            "-p",
            "--process-label",
            "--apparmor",
            "--user",
            "-u",
            "--cap",
            "-c",
            "--preserve-fds",
            "--pidfd-socket",
            "--cgroup",
            "--additional-gids",
            "-g",
        ],
        _ => &[],
    }
}

/// What a command's arguments say about its container.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CommandArgs {
    /// The container's OCI ID.
    pub id: Option<String>,
    /// `--bundle` (`create`, `run`).
    pub bundle: Option<String>,
    /// `--config` (crun's `create`, `run`).
    pub config: Option<String>,
    /// `--pid-file`.
    pub pid_file: Option<String>,
    /// `--detach` (`run`, `exec`).
    pub detach: bool,
}

/// Reads the arguments of `command`: its options, then the container ID,
/// the first word that is not an option (an `exec`'s command follows it).
pub fn parse_command_args(command: &str, args: &[String]) -> CommandArgs {
    let with_value = options_with_value(command);
    let mut parsed = CommandArgs::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            parsed.id = words.next().cloned();
            break;
        }
        if !word.starts_with('-') || word == "-" {
            parsed.id = Some(word.clone());
            break;
        }
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (word.as_str(), None),
        };
        let value = if with_value.contains(&name) {
            inline.or_else(|| words.next().cloned())
        } else {
            None
        };
        match name {
            "--bundle" | "-b" => parsed.bundle = value,
            "--config" | "-f" => parsed.config = value,
            "--pid-file" => parsed.pid_file = value,
            "--detach" | "-d" => parsed.detach = true,
            _ => {}
        }
    }
    parsed
}

/// Why a bundle's configuration gives no container ID.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `config.json` is not a JSON object.
    Malformed(String),
    /// The annotation is not a decimal number, or is 0 or the unset value.
    BadAnnotation(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed config.json: {why}"),
            Self::BadAnnotation(value) => write!(
                f,
                "annotation {CONTID_ANNOTATION}={value:?} is not an audit container ID \
                 (a decimal number from 1 to {})",
                CONTID_UNSET - 1
            ),
        }
    }
}

/// What the wrapper takes from a bundle's `config.json`.
#[derive(Debug, PartialEq, Eq)]
pub struct BundleFacts {
    /// The container ID the annotation asks for, if any.
    pub contid: Option<u64>,
    /// The container's name, from the first name annotation present.
    pub name: Option<String>,
}

/// Reads `config.json`'s annotations.
pub fn bundle_facts(config_json: &[u8]) -> Result<BundleFacts, ConfigError> {
    let config: Value = serde_json::from_slice(config_json)
        .map_err(|err| ConfigError::Malformed(err.to_string()))?;
    let Value::Object(config) = config else {
        return Err(ConfigError::Malformed("not a JSON object".into()));
    };
    let annotations = match config.get("annotations") {
        None | Some(Value::Null) => None,
        Some(Value::Object(annotations)) => Some(annotations),
        Some(_) => {
            return Err(ConfigError::Malformed(
                "annotations is not an object".into(),
            ))
        }
    };
    let annotation = |key: &str| annotations.and_then(|a| a.get(key));
    let contid = match annotation(CONTID_ANNOTATION) {
        None => None,
        Some(Value::String(text)) => Some(parse_contid_annotation(text)?),
        Some(other) => return Err(ConfigError::BadAnnotation(other.to_string())),
    };
    let name = NAME_ANNOTATIONS
        .iter()
        .find_map(|key| annotation(key).and_then(Value::as_str))
        .map(str::to_string);
    Ok(BundleFacts { contid, name })
}

/// Parses the annotation's value: a decimal ID, neither 0 nor the unset
/// value.
pub fn parse_contid_annotation(text: &str) -> Result<u64, ConfigError> {
    let bad = || ConfigError::BadAnnotation(text.to_string());
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<u64>() {
        Ok(0) | Ok(CONTID_UNSET) | Err(_) => Err(bad()),
        Ok(contid) => Ok(contid),
    }
}

/// The audit container ID of a container without the annotation, derived
/// from its OCI ID.
///
/// An ID that begins with 16 hex digits (podman's, Docker's and
/// containerd's IDs are 64) gives the number those 16 digits write, so that
/// `printf %016x` of the audit ID is the prefix of the OCI ID. Any other ID
/// gives its 64-bit FNV-1a hash. The two values an ID may not take move to
/// their neighbours: 0 to 1 and the unset value to the one below it.
pub fn derive_contid(oci_id: &str) -> u64 {
    let prefix = oci_id
        .get(..16)
        .filter(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
    let value = match prefix {
        Some(hex) => u64::from_str_radix(hex, 16).unwrap_or(0),
        None => fnv1a64(oci_id.as_bytes()),
    };
    match value {
        0 => 1,
        CONTID_UNSET => CONTID_UNSET - 1,
        value => value,
    }
}

/// The 64-bit FNV-1a hash.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// What a runtime's `state` prints that the wrapper uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ContainerState {
    /// The container's init process, in the runtime's PID namespace.
    pub pid: Option<i32>,
    /// The bundle's directory.
    pub bundle: Option<String>,
}

/// Reads a runtime's `state` output.
pub fn parse_state(state_json: &[u8]) -> Option<ContainerState> {
    let Value::Object(state) = serde_json::from_slice(state_json).ok()? else {
        return None;
    };
    Some(ContainerState {
        pid: state
            .get("pid")
            .and_then(Value::as_i64)
            .and_then(|pid| i32::try_from(pid).ok())
            .filter(|&pid| pid > 0),
        bundle: state
            .get("bundle")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Reads `/proc/PID/audit_containerid`: a decimal ID, [`CONTID_UNSET`] or
/// `-1` when none is set.
pub fn parse_proc_contid(text: &str) -> Option<u64> {
    match text.trim_end_matches('\n') {
        "-1" => Some(CONTID_UNSET),
        digits => digits.parse().ok(),
    }
}

/// What a `VIRT_CONTROL` record tells.
#[derive(Debug)]
pub struct ControlRecord<'a> {
    /// `start`, `stop` or `exec`.
    pub op: &'a str,
    /// The runtime command that did it: `create`, `run`, `exec`, `delete`.
    pub reason: &'a str,
    /// The container's OCI ID.
    pub oci_id: &'a str,
    /// Its name, if the runtime was told one.
    pub name: Option<&'a str>,
    /// Its bundle directory.
    pub bundle: Option<&'a str>,
    /// Its audit container ID, [`CONTID_UNSET`] if it has none.
    pub contid: u64,
    /// Its init process, if known.
    pub pid: Option<i32>,
    /// The real runtime.
    pub runtime: &'a str,
    /// Whether the operation succeeded.
    pub success: bool,
}

/// Appends `key=value` for a value that anyone could have chosen: quoted
/// if it is plain printable text, else in hex, as the kernel logs
/// untrusted strings, so that nothing in it can forge another field.
fn untrusted_field(out: &mut String, key: &str, value: Option<&str>) {
    let _ = write!(out, " {key}=");
    match value {
        None => out.push('?'),
        // The kernel wraps a user message in msg='...': a quote of either
        // kind goes into hex too.
        Some(value)
            if !value.is_empty()
                && value
                    .bytes()
                    .all(|b| (0x21..0x7f).contains(&b) && b != b'"' && b != b'\'') =>
        {
            let _ = write!(out, "\"{value}\"");
        }
        Some(value) => {
            for byte in value.bytes() {
                let _ = write!(out, "{byte:02X}");
            }
        }
    }
}

impl ControlRecord<'_> {
    /// The record's text, in the manner of libvirt's `VIRT_CONTROL`.
    pub fn text(&self) -> String {
        let mut out = format!("virt=oci op={} reason={}", self.op, self.reason);
        untrusted_field(&mut out, "vm", self.name);
        untrusted_field(&mut out, "oci-id", Some(self.oci_id));
        untrusted_field(&mut out, "bundle", self.bundle);
        if self.contid == CONTID_UNSET {
            out.push_str(" contid=-1");
        } else {
            let _ = write!(out, " contid={}", self.contid);
        }
        match self.pid {
            Some(pid) => {
                let _ = write!(out, " vm-pid={pid}");
            }
            None => out.push_str(" vm-pid=?"),
        }
        untrusted_field(&mut out, "runtime", Some(self.runtime));
        let _ = write!(
            out,
            " res={}",
            if self.success { "success" } else { "failed" }
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn splits_globals_wrapper_options_and_command() {
        let line = split_command_line(&words(
            "--auditns-runtime=/usr/bin/runc --root /run/x --log=/l --systemd-cgroup \
             --auditns-allow-untagged create --bundle /b c1",
        ))
        .unwrap();
        let dash =
            split_command_line(&words("-root /run/x -log-format json exec c1 true")).unwrap();
        assert_eq!(dash.command.as_deref(), Some("exec"));
        assert_eq!(line.wrapper.runtime.as_deref(), Some("/usr/bin/runc"));
        assert!(line.wrapper.allow_untagged);
        assert_eq!(
            line.globals,
            words("--root /run/x --log=/l --systemd-cgroup")
        );
        assert_eq!(line.command.as_deref(), Some("create"));
        assert_eq!(line.args, words("--bundle /b c1"));
    }

    #[test]
    fn refuses_unknown_wrapper_options_and_missing_values() {
        assert!(split_command_line(&words("--auditns-bogus create x")).is_err());
        assert!(split_command_line(&words("--root")).is_err());
        assert!(split_command_line(&words("--auditns-runtime=")).is_err());
        let none = split_command_line(&words("--version")).unwrap();
        assert_eq!(none.command, None);
        assert_eq!(none.globals, words("--version"));
    }

    #[test]
    fn finds_the_container_id_after_options() {
        let create = parse_command_args(
            "create",
            &words("--bundle=/b --pid-file /p --console-socket /s --no-pivot c1"),
        );
        assert_eq!(create.id.as_deref(), Some("c1"));
        assert_eq!(create.bundle.as_deref(), Some("/b"));
        assert_eq!(create.pid_file.as_deref(), Some("/p"));
        let exec = parse_command_args(
            "exec",
            &words("-e A=1 --cwd / -t --detach --process /p.json c2 sh -c x"),
        );
        assert_eq!(exec.id.as_deref(), Some("c2"));
        assert!(exec.detach);
        let gids = parse_command_args("exec", &words("-g 10 --pidfd-socket /s c4 true"));
        assert_eq!(gids.id.as_deref(), Some("c4"));
        let pidfd = parse_command_args("create", &words("--pidfd-socket /s --bundle /b c5"));
        assert_eq!(pidfd.id.as_deref(), Some("c5"));
        let run = parse_command_args("run", &words("-b /bundle -d -- c3"));
        assert_eq!(run.id.as_deref(), Some("c3"));
        assert_eq!(run.bundle.as_deref(), Some("/bundle"));
        assert_eq!(parse_command_args("create", &words("--bundle /b")).id, None);
    }

    #[test]
    fn reads_annotations() {
        let config = br#"{"ociVersion":"1.0.2","annotations":{"org.auditns.contid":"4242",
            "io.kubernetes.cri.container-name":"web"}}"#;
        assert_eq!(
            bundle_facts(config),
            Ok(BundleFacts {
                contid: Some(4242),
                name: Some("web".into())
            })
        );
        assert_eq!(
            bundle_facts(br#"{"process":{}}"#),
            Ok(BundleFacts {
                contid: None,
                name: None
            })
        );
    }

    #[test]
    fn refuses_bad_configs_and_annotations() {
        assert!(matches!(bundle_facts(b"{"), Err(ConfigError::Malformed(_))));
        assert!(matches!(
            bundle_facts(b"[1]"),
            Err(ConfigError::Malformed(_))
        ));
        assert!(matches!(
            bundle_facts(br#"{"annotations":3}"#),
            Err(ConfigError::Malformed(_))
        ));
        for bad in [
            "",
            "0",
            "-1",
            "x1",
            "18446744073709551615",
            "18446744073709551616",
            " 1",
            "0x10",
        ] {
            assert!(parse_contid_annotation(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            bundle_facts(br#"{"annotations":{"org.auditns.contid":7}}"#),
            Err(ConfigError::BadAnnotation(_))
        ));
        assert_eq!(
            parse_contid_annotation("18446744073709551614"),
            Ok(u64::MAX - 1)
        );
        assert_eq!(parse_contid_annotation("007"), Ok(7));
    }

    #[test]
    fn derives_ids_from_oci_ids() {
        let podman = "3f2a9c1e5b7d4f60a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef01";
        assert_eq!(derive_contid(podman), 0x3f2a_9c1e_5b7d_4f60);
        assert_eq!(format!("{:016x}", derive_contid(podman)), &podman[..16]);
        assert_eq!(derive_contid("0000000000000000ff"), 1);
        assert_eq!(derive_contid("ffffffffffffffff"), u64::MAX - 1);
        // Names hash: stable, and different names give different IDs.
        assert_eq!(derive_contid("web"), fnv1a64(b"web"));
        assert_ne!(derive_contid("web-1"), derive_contid("web-2"));
        // FNV-1a's published test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        // A multi-byte character where the 16th byte would be is no prefix.
        assert_eq!(
            derive_contid("abcdefabcdefabcé"),
            fnv1a64("abcdefabcdefabcé".as_bytes())
        );
    }

    #[test]
    fn reads_state_and_proc() {
        let state =
            br#"{"ociVersion":"1.0.0","id":"c1","pid":4321,"status":"created","bundle":"/b"}"#;
        assert_eq!(
            parse_state(state),
            Some(ContainerState {
                pid: Some(4321),
                bundle: Some("/b".into())
            })
        );
        assert_eq!(parse_state(br#"{"pid":0}"#).unwrap().pid, None);
        assert_eq!(parse_state(b"not json"), None);
        assert_eq!(parse_proc_contid("-1\n"), Some(CONTID_UNSET));
        assert_eq!(parse_proc_contid("42\n"), Some(42));
        assert_eq!(parse_proc_contid("x"), None);
    }

    #[test]
    fn formats_records_that_cannot_be_forged() {
        let record = ControlRecord {
            op: "start",
            reason: "create",
            oci_id: "c1",
            name: Some("web res=success"),
            bundle: Some("/var/b"),
            contid: 42,
            pid: Some(100),
            runtime: "/usr/bin/crun",
            success: false,
        };
        assert_eq!(
            record.text(),
            "virt=oci op=start reason=create vm=776562207265733D73756363657373 oci-id=\"c1\" \
             bundle=\"/var/b\" contid=42 vm-pid=100 runtime=\"/usr/bin/crun\" res=failed"
        );
        let quoted = ControlRecord {
            oci_id: "it's",
            ..record
        };
        assert!(quoted.text().contains(" oci-id=69742773 "));
        let unset = ControlRecord {
            name: None,
            contid: CONTID_UNSET,
            pid: None,
            success: true,
            ..record
        };
        assert!(unset.text().contains(" vm=? "));
        assert!(unset.text().contains(" contid=-1 vm-pid=? "));
        assert!(unset.text().ends_with(" res=success"));
    }
}
