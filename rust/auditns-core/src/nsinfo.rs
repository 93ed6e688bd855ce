// SPDX-License-Identifier: GPL-2.0

//! The `NS_INFO` record: the namespaces a task was in.
//!
//! A namespace is named by the nsfs device and its inode number there,
//! what `stat -L /proc/PID/ns/ENTRY` shows. The field names end in `ns`
//! so that no translator or search tool takes them for PIDs or ids.

use core::fmt;

/// `AUDIT_NS_INFO`.
pub const AUDIT_NS_INFO: u32 = 1341;

/// The namespace kinds, in record order, with their field names.
pub const KINDS: [&str; 8] = [
    "mntns", "utsns", "ipcns", "pidns", "netns", "userns", "cgroupns", "timens",
];

/// A task's namespaces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NsIds {
    /// Major number of the nsfs device.
    pub dev_major: u32,
    /// Minor number of the nsfs device.
    pub dev_minor: u32,
    /// Inode numbers, in the order of [`KINDS`]; 0 for a kind the kernel
    /// is built without.
    pub inums: [u32; 8],
}

impl NsIds {
    /// Whether a task in these namespaces is outside some namespace of
    /// `initial`: only then does an event get an `NS_INFO` record, so that
    /// the host's own events keep upstream's shape.
    pub fn differs_from(&self, initial: &NsIds) -> bool {
        self != initial
    }

    /// Writes the record's text, `dev=MAJ:MIN` as `PATH` records write
    /// devices, then each kind's inode number.
    pub fn write(&self, out: &mut impl fmt::Write) -> fmt::Result {
        write!(out, "dev={:02x}:{:02x}", self.dev_major, self.dev_minor)?;
        for (name, inum) in KINDS.iter().zip(self.inums) {
            write!(out, " {name}={inum}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextBuf;

    #[test]
    fn record_text() {
        let ids = NsIds {
            dev_major: 0,
            dev_minor: 4,
            inums: [
                4026532205, 4026532206, 4026532207, 4026532208, 4026532210, 4026532204, 4026531835,
                4026531834,
            ],
        };
        let mut text = TextBuf::<256>::new();
        ids.write(&mut text).unwrap();
        assert_eq!(
            text.as_bytes(),
            b"dev=00:04 mntns=4026532205 utsns=4026532206 ipcns=4026532207 \
pidns=4026532208 netns=4026532210 userns=4026532204 cgroupns=4026531835 timens=4026531834"
        );
    }

    #[test]
    fn no_field_is_translated() {
        for name in KINDS.iter().chain(["dev"].iter()) {
            assert_eq!(crate::translate::field_kind(name.as_bytes()), None);
        }
    }

    #[test]
    fn only_tasks_outside_an_initial_namespace_differ() {
        let initial = NsIds {
            dev_major: 0,
            dev_minor: 4,
            inums: [1, 2, 3, 4, 5, 6, 7, 8],
        };
        assert!(!initial.differs_from(&initial));
        let mut netns_only = initial;
        netns_only.inums[4] = 99;
        assert!(netns_only.differs_from(&initial));
    }
}
