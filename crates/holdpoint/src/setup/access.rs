//! What an OS user could reach in a directory tree, judged from owners and mode bits:
//! how `holdpoint setup --user` checks that an agent's user can touch nothing of
//! holdpoint's home.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// One user, as the kernel checks permissions for its processes.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub uid: u32,
    /// The primary group and every supplementary one.
    pub gids: Vec<u32>,
}

/// Read, write, and search (or execute).
const READ: u32 = 4;
const WRITE: u32 = 2;
const SEARCH: u32 = 1;

impl Principal {
    /// The permission bits (`rwx`, as 0 to 7) this user has on a file with `mode`,
    /// owned by `uid` and `gid`. Root is not judged here: it reaches everything.
    fn rights(&self, uid: u32, gid: u32, mode: u32) -> u32 {
        if self.uid == uid {
            (mode >> 6) & 7
        } else if self.gids.contains(&gid) {
            (mode >> 3) & 7
        } else {
            mode & 7
        }
    }
}

/// Every path under `root` (itself included) that `who` could read, write or, for a
/// directory, enter or list, with what it could do. A path is judged only where every
/// directory above it (from `root`) can be entered; symbolic links are judged as
/// themselves, never followed.
pub(crate) fn reachable(root: &Path, who: &Principal) -> Vec<(PathBuf, &'static str)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(path) = pending.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let rights = who.rights(meta.uid(), meta.gid(), meta.mode());
        if meta.is_dir() {
            if rights & WRITE != 0 {
                found.push((path.clone(), "create or remove files in"));
            }
            if rights & READ != 0 {
                found.push((path.clone(), "list"));
            }
            if rights & SEARCH != 0 {
                found.push((path.clone(), "enter"));
                if let Ok(entries) = std::fs::read_dir(&path) {
                    pending.extend(entries.flatten().map(|e| e.path()));
                }
            }
        } else {
            if rights & READ != 0 {
                found.push((path.clone(), "read"));
            }
            if rights & WRITE != 0 {
                found.push((path.clone(), "write"));
            }
        }
    }
    found.sort();
    found
}

/// Whether `who` may connect to the Unix socket at `path`: enter every directory on the
/// way and write the socket.
pub(crate) fn may_connect(path: &Path, who: &Principal) -> bool {
    let mut ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
    ancestors.reverse();
    let can = |p: &Path, bits: u32| {
        std::fs::metadata(p).is_ok_and(|m| who.rights(m.uid(), m.gid(), m.mode()) & bits != 0)
    };
    ancestors.iter().all(|dir| can(dir, SEARCH)) && can(path, WRITE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_follow_owner_then_group_then_others() {
        let who = Principal {
            uid: 1000,
            gids: vec![1000, 500],
        };
        for (uid, gid, mode, rights) in [
            (1000, 0, 0o700, 7),
            (1000, 500, 0o070, 0),
            (0, 500, 0o750, 5),
            (0, 0, 0o750, 0),
            (0, 0, 0o755, 5),
            (2000, 2000, 0o666, 6),
            (2000, 500, 0o606, 0),
        ] {
            assert_eq!(who.rights(uid, gid, mode), rights, "{uid}:{gid} {mode:o}");
        }
    }
}
